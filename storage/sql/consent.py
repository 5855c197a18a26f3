"""When consent ends, planned messages end with it: a revoked item, an ended mentorship or a
removed supporter withdraws every pending outbox row that carried it, in the same
transaction as the change (a row already handed to the platform cannot be called back)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Tx, in_list


async def withdraw(
    tx: Tx, recipient_id: int, subject_id: int, kinds: Sequence[str], now: int
) -> int:
    """Skip the unsent rows of `kinds` to `recipient_id` about `subject_id`."""
    return await tx.execute(
        "UPDATE outbox SET status = 'skipped', last_error = 'withdrawn', body = '{}',"
        " finished_at = ?, claimed_until = NULL"
        " WHERE member_id = ? AND subject_id = ? AND status IN ('pending', 'held')"
        f" AND kind IN ({in_list(kinds)})",
        (now, recipient_id, subject_id, *kinds),
    )


async def withdraw_keys(tx: Tx, key_prefix: str, now: int) -> int:
    """Skip the unsent rows whose dedupe key starts with `key_prefix` (no % or _ in it)."""
    assert "%" not in key_prefix and "_" not in key_prefix
    return await tx.execute(
        "UPDATE outbox SET status = 'skipped', last_error = 'withdrawn', body = '{}',"
        " finished_at = ?, claimed_until = NULL"
        " WHERE dedupe_key LIKE ? AND status IN ('pending', 'held')",
        (now, key_prefix + "%"),
    )
