"""Alembic migrations of lienthong: hand-edited revisions, run by ``lienthong db upgrade``."""
