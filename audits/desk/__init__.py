"""The case desk (desk.md): people act on cases; every act is an event in one append-only,
hash-chained table, and each case's state is folded from its events.

    roles.py      desk roles, the desk config (YAML), who may do what
    events.py     the event, its canonical hash, the chain's check
    state.py      fold(events) -> DeskState (pure)
    permits.py    why an act is refused (roles, four eyes, targets, values)
    database.py   the SQLAlchemy table, where the database is, Alembic on open
    service.py    Desk: act, events, state, head, verify; open_desk, desk_exists
    catalogue.py  the cases the desk knows, read from the case store's register (masked)
    cli.py        `python -m audits desk …` and `verify --desk`
"""
