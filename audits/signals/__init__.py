"""Signals beyond the rules (signals.md): what customers complain about.

    feed.py          the complaints feed: <landing>/complaints/<D>.csv read, typed, validated, quarantined
    numbers.py       per day, each (number, agency) called: calls and attempts (a sorted index in the store)
    reach.py         per agency, the distinct numbers attempted over the last window_days days (rolling)
    signalstore.py   the signals' part of the store: indexes, findings by number, the days' complaints
    linking.py       complaints -> calls in the look-back window, agencies and cases (complaints.csv)
    effects.py       escalated cases, the complaint rate per agency and its trend
    complaints.py    what the pipeline calls: all of the above for one audited day
"""
