"""A real database failure on demand: a trigger that makes every new case fail inside the
database, as an outage would (no mock of Django or the driver)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# vendor → (statements that break case inserts, statements that repair them)
_SQL = {
    "sqlite": (
        [
            "CREATE TRIGGER mailbox_test_down BEFORE INSERT ON cases_case "
            "BEGIN SELECT RAISE(ABORT, 'database down for the test'); END"
        ],
        ["DROP TRIGGER mailbox_test_down"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION mailbox_test_down() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'down' USING ERRCODE = 'cannot_connect_now'; END $$",
            "CREATE TRIGGER mailbox_test_down BEFORE INSERT ON cases_case "
            "FOR EACH ROW EXECUTE FUNCTION mailbox_test_down()",
        ],
        ["DROP TRIGGER mailbox_test_down ON cases_case", "DROP FUNCTION mailbox_test_down()"],
    ),
}


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@contextmanager
def database_down() -> Iterator[None]:
    """Inside the block, inserting a case fails in the database (sqlite: an IntegrityError
    from RAISE(ABORT); PostgreSQL: an OperationalError, SQLSTATE 57P03)."""
    down, up = _SQL[connection.vendor]
    _run(down)
    try:
        yield
    finally:
        _run(up)
