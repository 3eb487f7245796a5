"""Another process holding a lock (audits/locks.py), as another run does: it says when it holds
the lock and holds it until the test lets go (closes its stdin) or kills it. No sleeps: the
test decides every step, so a loaded machine changes nothing but the time it takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_HOLDER = """
import sys
from pathlib import Path
from audits import locks
path, what, run_id, mode = sys.argv[1:5]
with locks.hold(Path(path), what=what, run_id=run_id, exclusive=mode == "exclusive"):
    print("held", flush=True)
    sys.stdin.read()                       # until the test closes our stdin (or kills us)
print("released", flush=True)
"""


class Holder:
    """A process holding `path`; `release()` lets go and waits for it to end, `kill()` kills it."""

    def __init__(self, path: Path, *, what: str = "the store", run_id: str = "holder-run", exclusive: bool = True):
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path), what, run_id, "exclusive" if exclusive else "shared"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        line = self.process.stdout.readline().strip()
        if line != "held":
            self.kill()
            raise RuntimeError(f"the lock holder did not start (said {line!r}, exit {self.process.returncode})")

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.stdout.readline().strip() == "released"
        assert self.process.wait() == 0
        self.process.stdout.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.kill()
