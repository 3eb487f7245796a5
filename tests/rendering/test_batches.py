"""Scorecards are rendered in one process per worker, in batches of about equal work."""

from __future__ import annotations

import dataclasses

from audits.rendering import scorecard_batches


def test_every_scorecard_once_in_at_most_workers_batches_of_about_equal_work(assessed_card):
    sizes = [3000, 2000, 1000, 1000, 0, 0, 0]
    cards = [dataclasses.replace(assessed_card, agency_id=f"AG{k}", findings=assessed_card.findings[:1] * size)
             for k, size in enumerate(sizes)]
    batches = scorecard_batches(cards, 2)
    assert len(batches) == 2
    assert sorted(c.agency_id for batch in batches for c in batch) == sorted(c.agency_id for c in cards)
    loads = sorted(sum(len(c.findings) + 200 for c in batch) for batch in batches)
    assert loads == [4000, 4400]          # largest first into the lightest: 3000 + 1000 | 2000 + 1000 + the 3 empty
    assert scorecard_batches(cards[:1], 4) == [(cards[0],)]
    assert scorecard_batches([], 2) == []
