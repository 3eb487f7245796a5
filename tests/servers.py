"""Throwaway real servers for tests: an OpenSSH server (Debian's openssh-server) and a
PostgreSQL cluster (Debian's postgresql), each on a free 127.0.0.1 port in a temporary folder.

The one harness for both: tests/conftest.py starts each once per test session (the `sshd`
and `postgres` fixtures); a test that needs a database of its own makes one on that cluster:

    url = postgres.create_database("airflow")   # postgresql+psycopg2://postgres:…@127.0.0.1:<port>/airflow

Both start in a second or two. `.ci/install-os-tools` (run by `make test`) installs the
Debian packages when missing; `missing_sshd()` / `missing_postgres()` say why a test must be
skipped when they are not installed. Every server dies with the test process, even one killed
by SIGKILL (a pytest-xdist worker stopped by its watchdog runs no finalizer).
"""

from __future__ import annotations

import atexit
import ctypes
import getpass
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
POSTGRES_BIN_GLOBS = ("/usr/lib/postgresql/*/bin",)     # Debian's layout; PATH is tried first
UNPRIVILEGED = "nobody"                                  # initdb and postgres refuse to run as root
PR_SET_PDEATHSIG = 1                                     # linux/prctl.h


def free_port() -> int:
    """A TCP port nothing listens on at the moment (127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def die_with_parent(sig: int = signal.SIGTERM):
    """A preexec_fn: the child gets `sig` when the test process dies, even by os._exit or SIGKILL,
    so that no server outlives it."""
    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    return preexec


def closed_port() -> int:
    """A port that refuses connections: bound for a moment, then released (tests of an unreachable server)."""
    return free_port()


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} on start:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {seconds:g} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- OpenSSH ------------------------------------------------------------------------------

def missing_sshd() -> str:
    """Why an OpenSSH server cannot be started here ("" when it can)."""
    if not Path(SSHD).is_file() or shutil.which("ssh-keygen") is None:
        return (f"OpenSSH server not installed ({SSHD}, ssh-keygen): install Debian's openssh-server "
                "(`make test` does so as root, through .ci/install-os-tools)")
    return ""


@dataclass
class SshServer:
    """sshd in the foreground (`-D -e`) on 127.0.0.1:port; key-only login for `user`."""

    folder: Path
    port: int
    user: str
    host_public_key: str           # "ssh-ed25519 AAAA…": the connection's `host_key` extra
    plain_private_key: str         # OpenSSH PEM text of a key without passphrase (quick to load)
    user_private_key: str          # OpenSSH PEM text of a key encrypted with `user_key_passphrase`
    user_key_passphrase: str
    log: Path
    process: subprocess.Popen = field(repr=False)

    def connection(self, *, passphrase: bool = False, **extra) -> dict:
        """An Airflow connection (JSON form of AIRFLOW_CONN_<ID>) for this server: the private key
        in the extras (with `passphrase`, the encrypted one and its passphrase: loading it takes
        paramiko about a second), the server's host key checked."""
        key = ({"private_key": self.user_private_key, "private_key_passphrase": self.user_key_passphrase}
               if passphrase else {"private_key": self.plain_private_key})
        return {"conn_type": "sftp", "host": "127.0.0.1", "port": self.port, "login": self.user,
                "extra": {**key, "host_key": self.host_public_key, "look_for_keys": "false", **extra}}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def sftp_log(self) -> str:
        """What the SFTP server logged (opens, closes with bytes read); "" before any session."""
        path = self.folder / "sftp.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def opened(self, remote_path: str) -> int:
        """How many times the SFTP server opened `remote_path` (from its log)."""
        return sum(1 for line in self.sftp_log().splitlines() if f'open "{remote_path}"' in line)

    def stop(self) -> None:
        _stop(self.process)


def start_sshd(folder: Path, *, user: str | None = None) -> SshServer:
    """Start sshd on a free port with host and user keys generated in `folder` (internal-sftp,
    authorized_keys in `folder`, StrictModes off); the user is the current one by default.
    The SFTP subsystem logs every file it opens and reads (`-l INFO`) to the log."""
    reason = missing_sshd()
    if reason:
        raise RuntimeError(reason)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    user = user or getpass.getuser()
    passphrase = secrets.token_urlsafe(18)
    host_key, user_key, plain_key = (folder / "ssh_host_ed25519_key", folder / "user_ed25519",
                                     folder / "plain_ed25519")
    for key, secret in ((host_key, ""), (user_key, passphrase), (plain_key, "")):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", secret, "-C", "", "-f", str(key)],
                       check=True, capture_output=True)
    (folder / "authorized_keys").write_text((folder / "user_ed25519.pub").read_text()
                                            + (folder / "plain_ed25519.pub").read_text())
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)      # sshd's privilege-separation folder
    port = free_port()
    config = folder / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "StrictModes no", "UsePAM no",
        "PubkeyAuthentication yes", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        f"PermitRootLogin {'yes' if user == 'root' else 'no'}", f"AllowUsers {user}",
        "LogLevel VERBOSE", "MaxStartups 100:30:200",
        # OpenSSH's own SFTP server (internal-sftp is the same code, run inside sshd) with its log of
        # every open and close ("bytes read N") in sftp.log, so that a test can see what was read.
        f"Subsystem sftp {SFTP_SERVER} -e -l INFO 2>>{folder / 'sftp.log'}" if Path(SFTP_SERVER).is_file()
        else "Subsystem sftp internal-sftp", "",
    ]))
    log = folder / "sshd.log"
    with open(log, "ab") as sink:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=die_with_parent())
    atexit.register(_stop, process)              # never outlives the test process
    _wait_for_port(port, process, log, "sshd")
    return SshServer(folder=folder, port=port, user=user,
                     host_public_key=" ".join((folder / "ssh_host_ed25519_key.pub").read_text().split()[:2]),
                     plain_private_key=plain_key.read_text(), user_private_key=user_key.read_text(),
                     user_key_passphrase=passphrase, log=log,
                     process=process)


# --- PostgreSQL ---------------------------------------------------------------------------

def postgres_bin() -> Path | None:
    """The folder of initdb/postgres: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    for pattern in POSTGRES_BIN_GLOBS:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "postgres").is_file():
                return Path(candidate)
    return None


def missing_postgres() -> str:
    """Why a PostgreSQL cluster cannot be started here ("" when it can)."""
    if postgres_bin() is None:
        return ("PostgreSQL server not installed (initdb, postgres): install Debian's postgresql "
                "(`make test` does so as root, through .ci/install-os-tools)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            return f"running as root without a user {UNPRIVILEGED!r} to run PostgreSQL as"
    return ""


@dataclass
class PostgresServer:
    """A throwaway cluster on 127.0.0.1:port; superuser `user` with `password` (scram-sha-256)."""

    folder: Path
    port: int
    user: str
    password: str
    database: str
    log: Path
    process: subprocess.Popen = field(repr=False)

    def connection(self, **extra) -> dict:
        """An Airflow connection (JSON form of AIRFLOW_CONN_<ID>) for this cluster."""
        return {"conn_type": "postgres", "host": "127.0.0.1", "port": self.port, "login": self.user,
                "password": self.password, "schema": self.database, **({"extra": extra} if extra else {})}

    def uri(self, driver: str = "postgresql", database: str | None = None) -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> str:
        """A new database on this cluster; its SQLAlchemy URL (psycopg2, as Airflow's metadata database)."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.uri("postgresql+psycopg2", name)

    def execute(self, sql: str) -> None:
        """Run SQL as the superuser (psycopg, autocommit)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                             dbname=self.database, autocommit=True) as connection:
            connection.execute(sql)

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended) and remove its cluster."""
        _stop(self.process, signal.SIGINT)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(folder: Path | None = None, *, database: str = "postgres") -> PostgresServer:
    """initdb a cluster in a new temporary folder (as `nobody` when running as root: PostgreSQL
    refuses root), then run postgres on a free port with its socket in that folder. `folder`
    is the parent to make it in (default: the system's temporary folder, which every account
    can reach)."""
    reason = missing_postgres()
    if reason:
        raise RuntimeError(reason)
    binaries = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=folder))
    # As root, initdb and postgres run as `nobody` (set by Popen itself, so that the process we
    # hold and signal is postgres, not a wrapper such as runuser).
    account = pwd.getpwnam(UNPRIVILEGED) if os.geteuid() == 0 else None
    as_user = dict(user=account.pw_uid, group=account.pw_gid, extra_groups=[]) if account else {}
    if account:
        os.chmod(root, 0o700)
        os.chown(root, account.pw_uid, account.pw_gid)
        for parent in root.parents:           # nobody must reach the folder
            if parent in (Path(tempfile.gettempdir()), Path("/")):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    password = secrets.token_urlsafe(18)
    secret_file = root / "pwfile"
    secret_file.write_text(password + "\n")
    data, log = root / "data", root / "postgres.log"
    log.touch()
    for path in (secret_file, log) if account else ():
        os.chown(path, account.pw_uid, account.pw_gid)
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256",
                    f"--pwfile={secret_file}", "-E", "UTF8", "--locale=C", "--no-sync"],
                   check=True, capture_output=True, cwd=root, **as_user)
    secret_file.unlink()
    port = free_port()
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(root), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200", "-c", "log_connections=on", "-c", "log_statement=all"],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root,
            preexec_fn=die_with_parent(signal.SIGINT), **as_user)
    atexit.register(_stop, process, signal.SIGINT)
    _wait_for_port(port, process, log, "postgres")
    server = PostgresServer(folder=root, port=port, user="postgres", password=password, database="postgres",
                            log=log, process=process)
    _ready(server)
    if database != "postgres":
        server.execute(f'CREATE DATABASE "{database}"')
        server.database = database
    return server


def _ready(server: PostgresServer, seconds: float = 120.0) -> None:
    """Wait until the cluster accepts logins (it listens a moment before it finishes recovery)."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(host="127.0.0.1", port=server.port, user=server.user, password=server.password,
                                 dbname="postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
