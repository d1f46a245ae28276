"""`python worker.py`: the same as `mailflow worker`."""

from app.cli import main

if __name__ == "__main__":
    main(["worker"])
