"""`any_store`: the same test against SQLite and against PostgreSQL (a fresh database each)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage import open_store
from storage.sql.store import SQLStore
from tests.pg import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
async def any_store(store_url: str) -> AsyncIterator[SQLStore]:
    store = await open_store(store_url)
    yield store
    await store.close()
