"""Alembic environment: runs the revisions on the connection :mod:`lienthong.db.migrate` gives.

Run from the alembic command line instead (``alembic -c …``), it connects to the database
the lienthong settings name (``LIENTHONG_DATABASE_URL`` or SQLite in the data directory).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from lienthong.db.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("lienthong migrations run online only")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from lienthong.db.engine import make_engine
    from lienthong.settings import load_settings

    engine = make_engine(load_settings().effective_database_url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
