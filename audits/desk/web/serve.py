"""`make desk`: Airflow's api-server on 127.0.0.1 with the case desk plugin, the simple auth
manager and four demo users (one per desk role), over the demo's reports and store.

    python -m audits.desk.web.serve --root data/demo [--port 8080]

Airflow is started through its own command line (this module never imports it). The users'
passwords are generated once into <root>/airflow/desk-passwords.json (kept for the next start)
and printed; the JWT secret is kept beside them so a restart keeps people signed in.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from audits.local_run import REPO, airflow_environment

SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
# user -> Airflow role; the desk's default mapping makes viewer an auditor, user an officer, op an
# approver; the vendor manager is named in the desk config (desk.yaml), as a bank would name one
DEMO_USERS = {"auditor": "viewer", "officer": "user", "approver": "op", "vendor": "viewer"}
DEMO_DESK_YAML = "# written by `make desk` for its demo users; edit freely\nusers:\n  vendor: [vendor_manager]\n"
PASSWORDS = "desk-passwords.json"
METADATA_DB = "airflow.db"                  # local_run's SQLite metadata database under the Airflow home
JWT_SECRET = "desk-jwt-secret"


def desk_environment(root: Path, *, users: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an embedded api-server serving the desk over root/store and root/reports:
    Airflow home, SQLite metadata and DAGs as in the demo runs, plus this repository's plugins
    folder, the simple auth manager with `users` (name -> Airflow role) and their passwords file."""
    with contextlib.redirect_stderr(io.StringIO()):     # its warning is about auditing, not serving the desk
        env = airflow_environment(root)
    home = Path(env["AIRFLOW_HOME"])
    users = DEMO_USERS if users is None else users
    env.update({
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{name}:{role}" for name, role in users.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS),
        "AIRFLOW__API_AUTH__JWT_SECRET": _kept_secret(home / JWT_SECRET),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    })
    return env


def demo_passwords(home: Path, users: list[str]) -> dict[str, str]:
    """The users' passwords from home/desk-passwords.json, a new one generated for each user without."""
    path = home / PASSWORDS
    known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if any(name not in known for name in users):
        known.update({name: secrets.token_urlsafe(9) for name in users if name not in known})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(known) + "\n", encoding="utf-8")
    return {name: known[name] for name in users}


def demo_desk_config(store: Path) -> None:
    """The desk config naming the demo's vendor manager, unless the store has one."""
    path = store / "desk.yaml"
    if not path.exists():
        store.mkdir(parents=True, exist_ok=True)
        path.write_text(DEMO_DESK_YAML, encoding="utf-8")


def server_command(host: str, port: int) -> list[str]:
    return [str(Path(sys.executable).with_name("airflow")), "api-server", "--host", host, "--port", str(port),
            "--workers", "1"]


def _kept_secret(path: Path) -> str:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audits.desk.web.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("data/demo"), help="holds store/ and reports/ (make demo)")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "store").is_dir():
        print(f"No case store under {root}: run `make demo` first.", file=sys.stderr)
        return 1
    env = desk_environment(root)
    passwords = demo_passwords(Path(env["AIRFLOW_HOME"]), list(DEMO_USERS))
    demo_desk_config(root / "store")
    if not (Path(env["AIRFLOW_HOME"]) / METADATA_DB).is_file():       # `make demo` made and migrated it
        migrate = subprocess.run([server_command("", 0)[0], "db", "migrate"], env=env, capture_output=True,
                                 text=True, check=False)
        if migrate.returncode:
            print(f"airflow db migrate failed:\n{migrate.stderr[-2000:]}", file=sys.stderr)
            return 1
    url = f"http://127.0.0.1:{args.port}"
    print(f"The case desk: {url}/desk/ (also \"Cases\" in Airflow's menu at {url}/). Sign in as:")
    for name in DEMO_USERS:
        print(f"  {name:<9} password {passwords[name]:<14} ({'vendor manager' if name == 'vendor' else name})")
    print("Stop the server with Ctrl-C.", flush=True)
    os.execve(server_command("127.0.0.1", args.port)[0], server_command("127.0.0.1", args.port), env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
