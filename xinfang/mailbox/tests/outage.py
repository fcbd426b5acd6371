"""A real database failure on demand: a trigger that makes every new case fail inside the
database, as an outage would (no mock of Django or the driver)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# vendor → (statements that break case inserts, statements that repair them); {when} is
# empty or a condition on the new row.
_SQL = {
    "sqlite": (
        [
            "CREATE TRIGGER mailbox_test_down BEFORE INSERT ON cases_case {when} "
            "BEGIN SELECT RAISE(ABORT, 'database down for the test'); END"
        ],
        ["DROP TRIGGER mailbox_test_down"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION mailbox_test_down() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'down' USING ERRCODE = 'cannot_connect_now'; END $$",
            "CREATE TRIGGER mailbox_test_down BEFORE INSERT ON cases_case "
            "FOR EACH ROW {when} EXECUTE FUNCTION mailbox_test_down()",
        ],
        ["DROP TRIGGER mailbox_test_down ON cases_case", "DROP FUNCTION mailbox_test_down()"],
    ),
}


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@contextmanager
def database_down(*, title_prefix: str = "") -> Iterator[None]:
    """Inside the block, inserting a case fails in the database (sqlite: an IntegrityError
    from RAISE(ABORT); PostgreSQL: an OperationalError, SQLSTATE 57P03) — every case, or
    only those whose title starts with `title_prefix` (a message that keeps failing)."""
    down, up = _SQL[connection.vendor]
    assert "'" not in title_prefix
    when = f"WHEN (NEW.title LIKE '{title_prefix}%')" if title_prefix else ""
    _run([sql.format(when=when) for sql in down])
    try:
        yield
    finally:
        _run(up)
