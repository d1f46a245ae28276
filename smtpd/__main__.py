"""`python -m smtpd`: the same as `mailflow smtpd`."""

from app.cli import main

if __name__ == "__main__":
    main(["smtpd"])
