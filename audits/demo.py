"""`make demo`: a sample landing zone, audited day by day, end to end.

    python -m audits.demo --root data/demo --start 2026-11-21 --days 7 --calls-per-day 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from audits.cli import main as cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audits.demo")
    parser.add_argument("--root", type=Path, default=Path("data/demo"))
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 21))
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--calls-per-day", type=int, default=20_000)
    args = parser.parse_args(argv)
    landing, out, store = args.root / "landing", args.root / "reports", args.root / "store"
    shutil.rmtree(args.root, ignore_errors=True)
    began = time.monotonic()
    code = cli(["sample", "--landing", str(landing), "--start", args.start.isoformat(), "--days", str(args.days),
                "--calls-per-day", str(args.calls_per_day)])
    for offset in range(args.days):
        if code:
            return code
        day = (args.start + dt.timedelta(days=offset)).isoformat()
        code = cli(["run", "--date", day, "--landing", str(landing), "--out", str(out), "--store", str(store),
                    "--run-id", f"demo__{day}"])
    last = (args.start + dt.timedelta(days=args.days - 1)).isoformat()
    print(f"\nDone in {time.monotonic() - began:.0f} s. Open the portfolio: {(out / last / 'index.html').resolve()}")
    return code


if __name__ == "__main__":
    sys.exit(main())
