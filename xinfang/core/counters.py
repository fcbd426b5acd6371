"""Dense per-key sequence numbers (item numbers, document numbers) from a counter table."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection, models


def counter_next(*, model: type[models.Model], keys: Mapping[str, int | str]) -> int:
    """The next number for `keys` in `model`'s counter table (columns `keys` + `last`).

    One upsert statement (SQLite ≥ 3.35 and PostgreSQL). Its row lock is held until the
    caller commits, so numbers are unique and dense, and a rolled-back caller leaves no gap;
    concurrent callers for the same key queue here.
    """
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(c) for c in keys)
    values = ", ".join(["%s"] * len(keys))
    sql = (
        f"INSERT INTO {table} ({columns}, last) VALUES ({values}, 1) "  # noqa: S608 — names from model metadata
        f"ON CONFLICT ({columns}) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(keys.values()))
        (seq,) = cursor.fetchone()
    return int(seq)
