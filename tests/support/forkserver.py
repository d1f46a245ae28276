"""A process that has imported `mailflow` once and forks a child per command: the console script without its start-up.

Starting the console script costs ~2 s of CPU on this machine (importing Flask, SQLAlchemy, boto3, redis and the
panel), most of what a CLI test spends. This server imports all of it once; each request forks a child that
takes the caller's environment, working folder and standard streams, then runs the same `app.cli.main` the
`mailflow` script runs, and exits with its status. Nothing of an app is built before the fork: each child
creates its own app, connections and logging, as a fresh process would.

Protocol, one JSON object a line: the caller writes {"args", "env", "cwd", "stdin", "stdout", "stderr"} (the
last three are file paths); the server answers {"pid": N} once the child runs, then {"code": N} when it ends.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import sys
import threading
import traceback

import app.api  # noqa: F401  (what create_app imports when it registers the blueprints: imported once here)
import app.archive.views  # noqa: F401
import app.panel  # noqa: F401
import app.public  # noqa: F401
from app.cli import main


def serve(requests: int, replies: int) -> None:
    """Answer requests until the caller closes its end."""
    with (
        os.fdopen(requests, "r", encoding="utf-8") as incoming,
        os.fdopen(replies, "w", encoding="utf-8") as out,
    ):
        for line in incoming:
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                incoming.close()
                out.close()
                os._exit(finish(run_command(request)))
            out.write(json.dumps({"pid": pid}) + "\n")
            out.flush()
            _, status = os.waitpid(pid, 0)
            out.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
            out.flush()


def run_command(request: dict) -> int:
    """In the child: become the caller's process (environment, folder, streams), run `mailflow ARGS`, return its status."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    random.seed()
    _redirect(0, request["stdin"], os.O_RDONLY)
    _redirect(1, request["stdout"], os.O_WRONLY | os.O_TRUNC)
    _redirect(2, request["stderr"], os.O_WRONLY | os.O_TRUNC)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115  (the child's whole life)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.argv = ["mailflow", *request["args"]]
    try:
        main(request["args"])
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def finish(code: int) -> int:
    """What the interpreter does on its way out: wait for non-daemon threads, run atexit functions, flush."""
    threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's own exit step
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _redirect(fd: int, path: str, flags: int) -> None:
    """Point file descriptor fd at path."""
    target = os.open(path, flags)
    os.dup2(target, fd)
    os.close(target)


def _exit_code(code: object) -> int:
    """What the interpreter would exit with for SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
