"""Cases (cases.md): findings grouped into the units people act on, with a lifecycle.

    keys.py        case_id and each finding's subject (from the rule registry's subject kind)
    lifecycle.py   one day's case snapshot from the previous snapshot and the day's case counts
    summary.py     the register of a day (cases.csv rows) and its one-sentence summaries
    case_store.py   the per-day case counts and snapshots in the store, and their digest chain
    daily.py       what the pipeline calls: the day's cases from its findings, into the store
"""
