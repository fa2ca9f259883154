"""Migrations: from an empty database to head and back, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from lienthong.db import migrate
from lienthong.db.tables import change_counters, metadata

TABLES = {"agencies", "agency_identifiers", "blob_chunks", "blobs", "change_counters"}


def test_empty_database_has_no_revision(empty_engine: Engine) -> None:
    assert migrate.current(empty_engine) is None


def test_upgrade_from_empty_to_head_creates_every_table(empty_engine: Engine) -> None:
    result = migrate.upgrade(empty_engine)

    assert result.before is None
    assert result.after == migrate.head()
    assert [step.revision for step in result.applied] == [r.revision for r in migrate.history()]
    assert migrate.current(empty_engine) == migrate.head()
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    with empty_engine.connect() as conn:
        counters = conn.execute(select(change_counters.c.name, change_counters.c.value)).all()
    assert [tuple(row) for row in counters] == [("directory", 0)]


def test_upgrade_twice_does_nothing_the_second_time(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    again = migrate.upgrade(empty_engine)

    assert again.before == again.after == migrate.head()
    assert again.applied == ()
    assert not again.changed


def test_migrated_schema_matches_the_table_definitions(fresh_engine: Engine) -> None:
    with fresh_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_downgrade_to_base_then_upgrade_again(fresh_engine: Engine) -> None:
    down = migrate.downgrade(fresh_engine, "base")

    assert down.after is None
    assert [step.revision for step in down.applied] == [
        r.revision for r in reversed(migrate.history())
    ]
    assert not TABLES & set(inspect(fresh_engine).get_table_names())

    up = migrate.upgrade(fresh_engine)
    assert up.after == migrate.head()
    assert set(inspect(fresh_engine).get_table_names()) >= TABLES


def test_history_is_linear_from_base() -> None:
    revisions = migrate.history()

    assert revisions[0].down_revision is None
    for earlier, later in itertools.pairwise(revisions):
        assert later.down_revision == earlier.revision
    assert revisions[-1].revision == migrate.head()
    assert all(r.message for r in revisions)
