"""Desk roles and who may do what (desk.md §1), and the desk config that maps Airflow roles
and named users to desk roles (YAML: airflow_roles, users, due_days)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from audits.errors import PermanentError

ROLES = ("auditor", "officer", "approver", "vendor_manager")
ALL_ROLES = "all"                      # a mapping to "all" gives every desk role (the admin)

OFFICER_KINDS = frozenset({"take", "assign", "set_due", "acknowledge", "comment", "propose_exception",
                           "record_dispute", "record_plan", "close_note"})
PERMITTED: Mapping[str, frozenset[str]] = {
    "auditor": frozenset(),
    "officer": OFFICER_KINDS,
    "approver": OFFICER_KINDS | {"approve_exception", "reject_exception", "revoke_exception", "decide_dispute"},
    # the agency's answers a vendor manager receives (responses.csv): its plans and its disputes
    "vendor_manager": frozenset({"comment", "request_plan", "record_plan", "record_dispute"}),
}
DEFAULT_AIRFLOW_ROLES: Mapping[str, tuple[str, ...]] = {
    "viewer": ("auditor",), "user": ("officer",), "op": ("approver",), "admin": ROLES}
DEFAULT_DUE_DAYS: Mapping[str, int] = {"critical": 3, "major": 14, "minor": 30}
DEFAULT_MAX_EXCEPTION_DAYS = 90


class DeskConfigError(PermanentError, ValueError):
    """The desk config cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class DeskConfig:
    airflow_roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_AIRFLOW_ROLES))
    users: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    due_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DUE_DAYS))
    max_exception_days: int = DEFAULT_MAX_EXCEPTION_DAYS


@dataclass(frozen=True)
class Actor:
    name: str
    roles: frozenset[str]


def load_desk_config(path: Path | None) -> DeskConfig:
    """The desk config at `path`; the defaults of desk.md §1 when `path` is None or missing."""
    if path is None or not Path(path).is_file():
        return DeskConfig()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DeskConfigError(f"desk config {path} cannot be read: {type(exc).__name__}. "
                              "Write it as YAML with airflow_roles:, users: and due_days:.") from None
    if not isinstance(data, dict):
        raise DeskConfigError(f"desk config {path} is not a mapping: write airflow_roles:, users: and due_days:.")
    unknown = sorted(set(data) - {"airflow_roles", "users", "due_days", "max_exception_days"})
    if unknown:
        raise DeskConfigError(f"desk config {path} has unknown entries {unknown}: "
                              "use airflow_roles, users, due_days, max_exception_days.")
    defaults = DeskConfig()
    return DeskConfig(
        airflow_roles=_role_map(data.get("airflow_roles", defaults.airflow_roles), path, "airflow_roles", lower=True),
        users=_role_map(data.get("users", {}), path, "users"),
        due_days={**defaults.due_days, **_days(data.get("due_days", {}), path)},
        max_exception_days=_positive(data.get("max_exception_days", DEFAULT_MAX_EXCEPTION_DAYS), path,
                                     "max_exception_days"))


def _role_map(value, path, entry: str, *, lower: bool = False) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise DeskConfigError(f"desk config {path}: {entry} must map names to desk roles.")
    mapped = {}
    for name, roles in value.items():
        listed = [roles] if isinstance(roles, str) else roles
        if not isinstance(listed, list | tuple) or not all(isinstance(r, str) for r in listed):
            raise DeskConfigError(f"desk config {path}: {entry}.{name} must be a desk role or a list of them.")
        expanded = ROLES if ALL_ROLES in listed else tuple(listed)
        bad = sorted(set(expanded) - set(ROLES))
        if bad:
            raise DeskConfigError(f"desk config {path}: {entry}.{name} names unknown roles {bad}; "
                                  f"the desk's roles are {', '.join(ROLES)} (or all).")
        mapped[str(name).lower() if lower else str(name)] = tuple(r for r in ROLES if r in expanded)
    return mapped


def _days(value, path) -> dict[str, int]:
    if not isinstance(value, dict):
        raise DeskConfigError(f"desk config {path}: due_days must map severities to days.")
    bad = sorted(set(value) - set(DEFAULT_DUE_DAYS))
    if bad:
        raise DeskConfigError(f"desk config {path}: due_days names unknown severities {bad}.")
    return {k: _positive(v, path, f"due_days.{k}") for k, v in value.items()}


def _positive(value, path, entry: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DeskConfigError(f"desk config {path}: {entry} must be a whole number of days, at least 1.")
    return value


def desk_roles(config: DeskConfig, user: str, airflow_roles: Iterable[str]) -> frozenset[str]:
    """The desk roles of a signed-in user: those of their Airflow roles (case-insensitive) and
    those the config gives them by name."""
    roles = set(config.users.get(user, ()))
    for role in airflow_roles:
        roles |= set(config.airflow_roles.get(str(role).lower(), ()))
    return frozenset(roles)


def may(actor: Actor, kind: str) -> bool:
    """Whether one of the actor's roles permits events of `kind` (the role table; not four eyes)."""
    return acting_role(actor, kind) != ""


def acting_role(actor: Actor, kind: str) -> str:
    """The first of the actor's roles (in ROLES order) that permits `kind`; '' when none does."""
    return next((r for r in ROLES if r in actor.roles and kind in PERMITTED[r]), "")


def may_read(actor: Actor) -> bool:
    """Every desk role reads everything; a person with no desk role reads nothing."""
    return bool(actor.roles & set(ROLES))
