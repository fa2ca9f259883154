"""The ``lienthong`` command line: a Typer root to which each feature adds its group."""
