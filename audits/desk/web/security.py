"""Who is asking, and whether a form came from one of the desk's own pages.

The identity comes from the host (Airflow's auth manager, through the plugin in `plugins/`):
a signed-in user's name and Airflow roles. The desk turns it into its own roles with the desk
config (audits.desk.roles) and checks them on the server for every action.

CSRF: every form carries a token bound to the signed-in user and the time it was issued,
signed with the server's secret (HMAC-SHA256); a POST without a valid, unexpired token of the
same user is refused (403) before anything is read. A page of another site cannot read the
token, so it cannot forge a form the desk accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from audits.desk.roles import Actor, DeskConfig, desk_roles

TOKEN_HOURS = 12                    # a form left open longer must be reloaded


@dataclass(frozen=True)
class Identity:
    """A signed-in user as the host's auth manager knows them."""

    name: str
    airflow_roles: tuple[str, ...]


def airflow_role_names(user) -> tuple[str, ...]:
    """The Airflow role names of an auth manager's user: the simple auth manager's one `role`
    (ADMIN when everyone is admin; None: no role), or FAB's `roles` (objects with a name)."""
    role = getattr(user, "role", None)
    if isinstance(role, str):
        return (role,) if role else ()
    return tuple(name for r in (getattr(user, "roles", None) or ()) if (name := getattr(r, "name", None) or ""))


def actor_of(identity: Identity, config: DeskConfig) -> Actor:
    """The desk's actor for a signed-in user: the desk roles their Airflow roles and name map to."""
    return Actor(identity.name, desk_roles(config, identity.name, identity.airflow_roles))


def csrf_token(secret: bytes, user: str, *, now: float | None = None) -> str:
    """A form token for `user`: "<issued>.<signature>"."""
    issued = str(int(time.time() if now is None else now))
    return f"{issued}.{_signature(secret, user, issued)}"


def csrf_valid(secret: bytes, user: str, token: str, *, now: float | None = None) -> bool:
    """Whether `token` was issued by this server to `user` within TOKEN_HOURS."""
    issued, _, signature = (token or "").partition(".")
    if not issued.isdigit() or not signature:
        return False
    age = (time.time() if now is None else now) - int(issued)
    if not 0 <= age <= TOKEN_HOURS * 3600:
        return False
    return hmac.compare_digest(signature, _signature(secret, user, issued))


def _signature(secret: bytes, user: str, issued: str) -> str:
    message = f"desk-form\n{user}\n{issued}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
