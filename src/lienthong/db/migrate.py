"""Running the Alembic migrations from Python (what ``lienthong db …`` calls).

No ``alembic.ini`` is involved: the script location is this package's ``migrations/``
folder and the connection comes from :func:`lienthong.db.engine.make_engine`, so the URL
is whatever the settings say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from lienthong.errors import StorageError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class Revision:
    """One migration revision."""

    revision: str
    down_revision: str | None
    message: str


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    """What an upgrade did: the revision before and after, and the steps applied in order."""

    before: str | None
    after: str | None
    applied: tuple[Revision, ...]

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision the code knows."""
    revision = _scripts().get_current_head()
    if revision is None:  # pragma: no cover - there is always a revision
        raise StorageError("no migration revisions found", code="storage.schema")
    return revision


def history() -> list[Revision]:
    """Every revision, oldest first."""
    revisions = [
        Revision(
            revision=script.revision,
            down_revision=_single(script.down_revision),
            message=(script.doc or "").strip(),
        )
        for script in _scripts().walk_revisions()
    ]
    revisions.reverse()
    return revisions


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise _unavailable(engine, exc) from exc


def upgrade(engine: Engine, revision: str = "head") -> UpgradeResult:
    """Create the schema or bring it to ``revision``, in one transaction."""
    return _run(engine, revision, upgrade=True)


def downgrade(engine: Engine, revision: str) -> UpgradeResult:
    """Go back to ``revision`` (``"base"`` drops everything). For development and tests."""
    return _run(engine, revision, upgrade=False)


def _run(engine: Engine, revision: str, *, upgrade: bool) -> UpgradeResult:
    config = _config()
    try:
        with engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            if upgrade:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise _unavailable(engine, exc) from exc
    return UpgradeResult(before=before, after=after, applied=_steps(before, after))


def _steps(before: str | None, after: str | None) -> tuple[Revision, ...]:
    """The revisions between ``before`` and ``after``, in the order they were run."""
    if before == after:
        return ()
    by_id = {r.revision: r for r in history()}
    order = list(by_id)
    start = order.index(before) if before is not None else -1
    end = order.index(after) if after is not None else -1
    if end > start:
        return tuple(by_id[order[i]] for i in range(start + 1, end + 1))
    return tuple(by_id[order[i]] for i in range(start, end, -1))


def _single(value: str | Sequence[str] | None) -> str | None:
    if value is not None and not isinstance(value, str):
        return ",".join(value) if value else None
    return value


def _unavailable(engine: Engine, exc: OperationalError) -> StorageError:
    url = engine.url.render_as_string(hide_password=True)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return StorageError(
        f"cannot reach the database {url}: {reason}",
        code="storage.unavailable",
        url=url,
    )
