"""The single-SELECT check of sources.yaml's queries (audits/sources/query.py), against what a
literal or a comment may hold: whatever their text, it never makes a query a second statement,
and a second statement after them is always found."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.sources.query import NotASelect, one_select

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /").replace("/*", "/ *") + " */"


def _dollar(text: str) -> str:
    return "$q$" + text.replace("$q$", "$ q$") + "$q$"


QUOTED = st.tuples(st.sampled_from([_literal, _identifier, _comment, _dollar]), TEXT).map(lambda pair: pair[0](pair[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(QUOTED, min_size=1, max_size=4))
def test_whatever_literals_and_comments_hold_one_select_is_accepted_unchanged(pieces):
    query = "SELECT " + ", ".join(f"{piece} AS c{i}" if not piece.startswith("/*") else piece
                                  for i, piece in enumerate(pieces)) + " FROM t"
    assert one_select(query) == query
    assert one_select(query + " ;") == query


@settings(max_examples=300, deadline=None)
@given(st.lists(QUOTED, min_size=1, max_size=4), st.sampled_from(["COPY (SELECT 1) TO PROGRAM 'id'", "SELECT 2",
                                                                  "DROP TABLE t"]))
def test_a_second_statement_after_any_literal_is_refused(pieces, second):
    query = "SELECT " + " || ".join(p for p in pieces if not p.startswith("/*")) + " FROM t " + \
            " ".join(p for p in pieces if p.startswith("/*"))
    with pytest.raises(NotASelect):
        one_select(f"{query}; {second}")
