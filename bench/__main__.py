"""`python -m bench [PART ...] [--smoke] [--db sqlite,postgresql]`: run the parts, print tables, write JSON."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import time

from bench.machine import describe

log = logging.getLogger("bench")
PARTS = ("ingress", "fanout", "digests", "latency", "panel", "queue", "cpu", "migration", "manage", "crash")
# Run only when named: crash waits for recovery after a kill -9, minutes that say nothing about speed.
DEFAULT_PARTS = tuple(p for p in PARTS if p != "crash")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "parts",
        nargs="*",
        choices=[*PARTS, []],
        metavar="PART",
        help=f"one or more of {', '.join(PARTS)} (default: all but crash)",
    )
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run with tiny counts (CI)")
    parser.add_argument(
        "--sizes",
        default="",
        help="fan-out list sizes, comma-separated (default 10000,100000); crash: only these cases",
    )
    parser.add_argument(
        "--workers",
        default="",
        help="fan-out (default 1,2,4) and digests (default 1) worker counts, comma-separated; crash: only these cases",
    )
    parser.add_argument(
        "--db",
        default="",
        help="sqlite, postgresql or both comma-separated (default: both; sqlite only with --smoke)",
    )
    parser.add_argument(
        "--post-size",
        type=int,
        default=0,
        help="digests: bytes of each post's body (default 2000: ~119 kB digests of 50 posts)",
    )
    parser.add_argument(
        "--only",
        default="",
        choices=("", "pages", "import"),
        help="panel: measure only the pages or only the CSV import (default: both)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fanout: a MAILFLOW_ setting for its processes, e.g. --set DELIVERY_BATCH_SIZE=2000 (repeatable)",
    )
    return parser.parse_args(argv)


def _options(part: str, args: argparse.Namespace) -> dict:
    if part == "panel":
        return {"only": args.only}
    if part == "digests":
        return {"workers": _numbers(args.workers), "post_size": args.post_size}
    if part not in ("fanout", "crash"):
        return {}
    sized = {"sizes": _numbers(args.sizes), "workers": _numbers(args.workers)}
    return {**sized, "settings": _settings(args.set)} if part == "fanout" else sized


def _settings(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE pairs as settings (the MAILFLOW_ prefix may be given or not)."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set takes KEY=VALUE, not {pair!r}")
        settings[key.strip().upper().removeprefix("MAILFLOW_")] = value
    return settings


def _numbers(text: str) -> tuple[int, ...]:
    """Comma-separated whole numbers."""
    return tuple(int(n) for n in text.split(",") if n)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = args.parts or list(DEFAULT_PARTS)
    db_kinds = [k for k in (args.db or ("sqlite" if args.smoke else "sqlite,postgresql")).split(",") if k]
    logging.basicConfig(level=logging.WARNING)
    # SIGTERM unwinds like Ctrl-C, so every part stops what it started and drops its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine = describe()
    print(
        f"# machine: {machine['nproc']} × {machine['cpu']}, Python {machine['python']}, "
        f"load {machine['loadavg'][0]:.2f}, commit {machine['commit']}",
        flush=True,
    )
    failed = []
    for part in parts:
        print(f"\n## {part}{' (smoke)' if args.smoke else ''}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{part}")
        try:
            table = module.run(db_kinds, args.smoke, **_options(part, args))
        except Exception as exc:  # one broken part must not hide the others' figures
            log.exception("part %s failed", part)
            failed.append(f"{part}: {exc}")
            continue
        table.meta["seconds"] = round(time.perf_counter() - started, 1)
        table.meta["loadavg_after"] = describe()["loadavg"]
        print(table.render(), flush=True)
        print(f"(written to {table.write(args.smoke, machine)})", flush=True)
    for failure in failed:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
