"""The monthly / quarterly vendor review (review.md §1-2): period scorecards, SLA, share packs.

    audits.review_run.run_review(ReviewConfig(period=month("2026-11"), out=..., store=..., rulepack=...))

period.py (months, quarters), dailies.py (reading the published daily reports), reach.py
(numbers called, from the store), totals.py (period totals scored by the daily formula),
sla.py (the SLA clauses), period_cases.py, peers.py, scorecards.py and cards.py (what
rendering sees), packs.py (share packs), publish.py (the review folder, signing). The orchestrator that builds,
renders, packs and publishes a review is audits/review_run.py, beside the nightly pipeline.
"""
