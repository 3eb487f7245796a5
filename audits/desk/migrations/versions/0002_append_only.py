"""The database itself refuses to update or delete a desk event (the chain still finds a change
made by someone who drops these triggers first).

Revision ID: 0002_append_only
Revises: 0001_events
"""

from alembic import op

revision = "0002_append_only"
down_revision = "0001_events"
branch_labels = None
depends_on = None

MESSAGE = "desk events are append-only: nothing is updated or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION desk_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$")
        op.execute("CREATE TRIGGER desk_events_no_change BEFORE UPDATE OR DELETE ON desk_events "
                   "FOR EACH ROW EXECUTE FUNCTION desk_events_append_only()")
        op.execute("CREATE TRIGGER desk_events_no_truncate BEFORE TRUNCATE ON desk_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION desk_events_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER desk_events_no_{action.lower()} BEFORE {action} ON desk_events "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER desk_events_no_truncate ON desk_events")
        op.execute("DROP TRIGGER desk_events_no_change ON desk_events")
        op.execute("DROP FUNCTION desk_events_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER desk_events_no_update")
        op.execute("DROP TRIGGER desk_events_no_delete")
