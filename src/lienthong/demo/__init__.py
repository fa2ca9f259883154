"""The embedded demo: ``lienthong demo`` (``make demo``)."""
