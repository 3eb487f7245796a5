"""The check a `kind: sql` source's query passes when sources.yaml is loaded: exactly one SELECT
statement (or WITH … SELECT), nothing that writes. The query is then run as it is, as a
server-side cursor (sql.py), never pasted into another statement; the database refuses what
this check might miss (a cursor is declared only for a query, the transaction is read-only),
and the role must be read-only without pg_execute_server_program (README, Sources).

The check reads PostgreSQL's lexical structure only as far as needed to find what is code:
comments (`--`, `/* */`), string literals ('…', E'…' with backslash escapes, $tag$…$tag$) and
quoted identifiers ("…") are skipped whole; in the rest, a `;` may only end the query, the
parentheses must balance, and the words that write or copy are refused.
"""

from __future__ import annotations

import re

from audits.errors import PermanentError

_TOKEN = re.compile(r"""
      (?P<comment>--[^\n]*|/\*(?:[^*/]|\*(?!/)|/(?!\*))*\*/)
    | (?P<escaped>[Ee]'(?:[^'\\]|\\.|'')*')
    | (?P<string>'(?:[^']|'')*')
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*)?\$(?:.|\n)*?\$(?P=tag)\$)
    | (?P<identifier>"(?:[^"]|"")*")
    | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    | (?P<space>\s+)
    | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_QUOTES = ("'", '"', "$", "/*")
FIRST_WORDS = ("SELECT", "WITH")
REFUSED_WORDS = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY", "INTO", "CALL", "DO")


class NotASelect(PermanentError, ValueError):
    """The query is not exactly one SELECT; the message says why."""


def one_select(query: str) -> str:
    """`query` without surrounding space and its final `;` (and what follows it when that is
    only comments); NotASelect when it is not exactly one SELECT or WITH … SELECT statement."""
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(query)]
    code = [(kind, text, at) for kind, text, at in tokens if kind in ("word", "other")]
    unterminated = next((text for kind, text, _ in code if kind == "other" and text in _QUOTES), None)
    if unterminated is None and any(text == "/" and query[at:at + 2] == "/*" for _, text, at in code):
        unterminated = "/*"
    if unterminated is not None:
        raise NotASelect(f"an unterminated quote or comment ({unterminated}); close it.")
    ends = [at for kind, text, at in code if text == ";"]
    if ends and (len(ends) > 1 or any(at > ends[0] for _, _, at in code)):
        raise NotASelect("more than one statement (a ';' before the end); the query must be one statement.")
    body = code if not ends else [token for token in code if token[2] < ends[0]]
    words = [text.upper() for kind, text, _ in body if kind == "word"]
    if not words or words[0] not in FIRST_WORDS:
        raise NotASelect("it must start with SELECT or WITH: only a query that reads is run.")
    refused = next((word for word in words if word in REFUSED_WORDS), None)
    if refused:
        raise NotASelect(f"{refused} is not accepted: only a query that reads is run (a column of that name "
                         "must be written in double quotes).")
    depth = 0
    for _, text, _ in body:
        depth += {"(": 1, ")": -1}.get(text, 0)
        if depth < 0:
            break
    if depth != 0:
        raise NotASelect("its parentheses do not balance (a ')' without its '(' or the reverse).")
    return (query[:ends[0]] if ends else query).strip()
