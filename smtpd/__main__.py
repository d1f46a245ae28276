"""`python -m smtpd`: the same as `mailflow smtpd`."""

import sys

from app.cli import main

if __name__ == "__main__":
    main(["smtpd", *sys.argv[1:]])
