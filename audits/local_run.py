"""The embedded default: run the DAG with real Airflow on this machine (SQLite metadata in
<root>/airflow, `airflow dags test`, no other service) for one day or a range (a backfill).

    python -m audits.local_run --root data/demo --from 2026-11-21 --to 2026-11-27 [--rulepack cn_bank]

Airflow is driven through its own command line in a subprocess, so this module never imports it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from audits.cli import SECRET_VARIABLE
from audits.config import DEVELOPMENT_HMAC_SECRET

DAG_ID = "vendor_audit_nightly"
REPO = Path(__file__).resolve().parents[1]


def airflow_environment(root: Path) -> dict[str, str]:
    """Environment for an embedded Airflow whose home, metadata DB and logs live under root/airflow."""
    home = (root / "airflow").resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "VENDOR_AUDIT_DATA": str(root.resolve()),      # absolute: the DAG refuses relative data paths
    })
    if not env.get(SECRET_VARIABLE):
        # Under Airflow a missing secret fails every task; this embedded run is one process tree on one
        # machine (no worker can hold another key), so it keeps the CLI's behaviour instead.
        print(f"WARNING: {SECRET_VARIABLE} is not set; the embedded run uses the development secret for "
              "callee_key. Keys made with it are NOT private: set a secret before auditing real data.",
              file=sys.stderr)
        env[SECRET_VARIABLE] = DEVELOPMENT_HMAC_SECRET.decode()
    return env


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def run_days(root: Path, first: dt.date, last: dt.date, *, rulepack: str = "cn_bank",
             extra_conf: dict | None = None, quiet: bool = True) -> list[dt.date]:
    """`airflow dags test` once per day, oldest first; stops at the first failed day."""
    env = airflow_environment(root)
    log = root / "airflow" / "dags-test.log"
    migrate = subprocess.run([_airflow(), "db", "migrate"], env=env, capture_output=True, text=True)
    if migrate.returncode:
        raise RuntimeError(f"airflow db migrate failed:\n{migrate.stderr[-2000:]}")
    done = []
    day = first
    while day <= last:
        conf = {"audit_date": day.isoformat(), "landing": str((root / "landing").resolve()),
                "out": str((root / "reports").resolve()), "store": str((root / "store").resolve()),
                "rulepack": rulepack, "landing_wait_minutes": 0, **(extra_conf or {})}
        with log.open("a", encoding="utf-8") as handle:
            completed = subprocess.run([_airflow(), "dags", "test", DAG_ID, "-c", json.dumps(conf)], env=env,
                                       stdout=handle if quiet else None, stderr=subprocess.STDOUT if quiet else None)
        report = root / "reports" / day.isoformat() / "index.html"
        if completed.returncode or not report.is_file():
            raise RuntimeError(f"the DAG run for {day} failed; see {log}")
        print(f"{day}: report {report}")
        done.append(day)
        day += dt.timedelta(days=1)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audits.local_run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("data/demo"), help="holds landing/, store/, reports/")
    parser.add_argument("--from", dest="first", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--rulepack", default="cn_bank")
    args = parser.parse_args(argv)
    try:
        run_days(args.root, args.first, args.last, rulepack=args.rulepack)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
