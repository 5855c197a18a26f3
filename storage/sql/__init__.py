"""The stores, written once against `storage.database.Database`: SQLite and PostgreSQL run
the same code and pass the same contract tests."""
