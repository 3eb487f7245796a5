"""YAML settings files (rulepacks, sources.yaml) read with safe types only, no alias and no deep
nesting, and the checks every section of them shares: a mapping, no unknown key, values quoted
short in messages."""

from __future__ import annotations

import reprlib

import yaml

from audits.config import ConfigError

MAX_YAML_DEPTH = 32          # rulepacks and sources.yaml nest 5 levels at most


class _SafeWithoutAliases(yaml.SafeLoader):
    """PyYAML's safe loader refusing aliases (`*name`, and so merge keys `<<: *name`) and
    nesting deeper than MAX_YAML_DEPTH: nine lines of aliases expand to billions of values, and
    a deep nest exhausts the stack. An anchor alone is harmless and accepted."""

    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"line {event.start_mark.line + 1}, column {event.start_mark.column + 1}: an alias "
                              f"(*{str(event.anchor)[:40]}) is not accepted; write the value out in full (aliases and "
                              "`<<:` merge keys are refused: a few lines of them can expand to billions of values).")
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise ConfigError(f"line {mark.line + 1}, column {mark.column + 1}: nested more than {MAX_YAML_DEPTH} "
                              "levels deep; no setting is.")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(data: bytes, what: str, *, syntax_hint: str = "") -> object:
    """The YAML document of a rulepack or sources.yaml (`what` names it in messages) with safe
    types only, no alias and no deep nesting; ConfigError otherwise, its text at most ~500
    characters (`syntax_hint` is added to a syntax error's message)."""
    try:
        return yaml.load(data, Loader=_SafeWithoutAliases)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {' '.join(str(exc).split())[:400]}{syntax_hint}") from None


def shown(value: object, limit: int = 80) -> str:
    """`repr(value)` as a message may quote it: at most `limit` characters (a YAML value may be
    huge; reprlib never builds the whole text)."""
    short = reprlib.Repr()
    short.maxstring = short.maxother = short.maxlong = limit
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mapping_of(value: object, key: str) -> dict:
    """`value` when it is a mapping, else a ConfigError naming `key` (rulepacks, sources.yaml)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a mapping, got {type(value).__name__}.")
    return value


def no_unknown_keys(mapping: dict, allowed: set[str], prefix: str) -> None:
    """A ConfigError naming the first key of `mapping` not in `allowed` (and how many more)."""
    unknown = sorted(str(k)[:80] for k in mapping if k not in allowed)
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ConfigError(f"unknown key {prefix}{unknown[0]}{more}. Allowed here: {', '.join(sorted(allowed))}.")
