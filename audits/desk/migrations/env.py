"""Alembic environment of the desk: run on the connection audits.desk.database.upgrade gives."""

from alembic import context

from audits.desk.database import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
