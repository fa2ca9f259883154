"""Alembic revisions, one module each (``vNNNN_what.py``), edited by hand."""
