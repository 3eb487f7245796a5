"""A deliberately plain oracle of the whole audit, written from docs/ (data-contract.md,
rules.md) and the README's "Decisions where docs/rules.md is silent", never from `audits/`:
one value, one row, one call at a time, in loops. Slow and obvious on purpose.

    validity.py   what one cell means: timestamps, dates, phones, enumerations, time zones, PII
    loading.py    a landing zone read with the csv module: reference tables and each day's calls
                  accepted or quarantined with every reason
    rules.py      the rule catalogue applied per call
    landings.py   hypothesis strategies: random small landing zones and rulepacks

tests/test_oracle.py compares this oracle with run_audit on random landing zones.
"""
