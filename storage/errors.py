"""What storage raises. The core catches `StorageError` alone: whatever the backend, a
failed write is reported to its own caller, never mistaken for success."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot do what was asked; the message says why in one line."""


class StorageUnavailable(StorageError):
    """The database cannot be reached or opened at all."""


class SchemaOutOfDate(StorageError):
    """The database needs `harbor migrate` before Harbor can run on it."""


class AlreadyRunning(StorageError):
    """Another Harbor process holds this SQLite file."""
