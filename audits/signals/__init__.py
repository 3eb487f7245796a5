"""Signals beyond the rules (signals.md): what customers complain about, and early warnings of
behaviour abnormal for an agency or an agent.

Complaints:
    feed.py          the complaints feed: <landing>/complaints/<D>.csv read, typed, validated, quarantined
    numbers.py       per day, each (number, agency) called: calls and attempts (a sorted index in the store)
    reach.py         per agency, the distinct numbers attempted over the last window_days days (rolling)
    signal_store.py   the complaints' part of the store: indexes, findings by number, the days' complaints
    linking.py       complaints -> calls in the look-back window, agencies and cases (complaints.csv)
    effects.py       escalated cases, the complaint rate per agency and its trend
    complaints.py    what the pipeline calls: all of the above for one audited day
Early warnings:
    metrics.py       the day's counts per agency and agent, and the metrics made from them
    attempted.py     distinct (entity, number) pairs attempted, and each agency's window of numbers
    metric_store.py   the warnings' part of the store (signals/metrics/): counts, pairs, windows
    warnings.py      robust baselines over earlier days, peer comparison, warnings.csv
    daily.py         what the pipeline calls for one day
"""
