"""`python worker.py [--burst]`: the same as `mailflow worker`."""

import sys

from app.cli import main

if __name__ == "__main__":
    main(["worker", *sys.argv[1:]])
