"""The agency directory: who may exchange documents, under which identifiers.

``model`` holds the plain data, ``repository`` the SQLAlchemy storage, ``services`` the
use cases with their rules. The hub builds on this directory.
"""
