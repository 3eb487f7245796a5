"""`make demo`: a sample landing zone audited day by day by the real Airflow DAG (embedded:
SQLite metadata, `airflow dags test`), end to end.

    python -m audits.demo --root data/demo --start 2026-11-21 --days 10 --calls-per-day 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from audits.cli import main as cli
from audits.local_run import run_days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audits.demo")
    parser.add_argument("--root", type=Path, default=Path("data/demo"))
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 11, 21))
    # cn_bank resolves a case after 7 quiet days: 10 days show the sample's case resolving and reopening
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--calls-per-day", type=int, default=20_000)
    args = parser.parse_args(argv)
    for part in ("landing", "store", "reports"):
        shutil.rmtree(args.root / part, ignore_errors=True)
    began = time.monotonic()
    code = cli(["sample", "--landing", str(args.root / "landing"), "--start", args.start.isoformat(),
                "--days", str(args.days), "--calls-per-day", str(args.calls_per_day)])
    if code:
        return code
    last = args.start + dt.timedelta(days=args.days - 1)
    print(f"Running the Airflow DAG vendor_audit_nightly for {args.start} to {last} (embedded Airflow)...")
    try:
        run_days(args.root, args.start, last)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    index = (args.root / "reports" / last.isoformat() / "index.html").resolve()
    review = _review_month(args.root, last)
    print(f"\nDone in {time.monotonic() - began:.0f} s. Open the portfolio: {index}"
          + (f"\nThe month's review (its other days were not audited): {review}" if review else "")
          + "\nOpen the case desk: `make desk`, then http://127.0.0.1:8080/desk/ "
            "(it prints the demo users' passwords).")
    return 0


def _review_month(root: Path, last: dt.date) -> Path | None:
    """The review of the demo's month so far (python -m audits review --allow-missing-days)."""
    month = f"{last:%Y-%m}"
    code = cli(["review", "--month", month, "--out", str(root / "reports"), "--store", str(root / "store"),
                "--allow-missing-days"])
    return (root / "reports" / "reviews" / month / "index.html").resolve() if code == 0 else None


if __name__ == "__main__":
    sys.exit(main())
