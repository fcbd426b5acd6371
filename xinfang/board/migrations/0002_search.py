"""Full-text search over Publication.search_text (words already segmented by jieba).

PostgreSQL: a GIN index on to_tsvector('simple', search_text). The 'simple' configuration
only lower-cases, so each space-separated word stays one lexeme and a query word matches a
whole word, not a substring (pg_trgm would match substrings: 路灯 inside 路灯杆, and needs
three characters where Chinese words are often two).
SQLite: an FTS5 external-content table over the same column, kept in step by triggers; the
unicode61 tokenizer splits on the spaces the segmenter put in, so both databases index the
same words. xinfang/board/search.py queries both.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

PG_CREATE = (
    "CREATE INDEX IF NOT EXISTS board_pub_search ON board_publication "
    "USING gin (to_tsvector('simple', search_text))"
)
# Statistics on the words: with the default target a word in one petition of 5,000 is
# estimated like one in 500, and the planner cannot tell when the word index is the cheap way.
PG_STATS = "ALTER INDEX board_pub_search ALTER COLUMN 1 SET STATISTICS 1000"
PG_DROP = "DROP INDEX IF EXISTS board_pub_search"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS board_publication_fts USING fts5("
    "search_text, content='board_publication', content_rowid='id')",
    "CREATE TRIGGER IF NOT EXISTS board_pub_fts_ai AFTER INSERT ON board_publication BEGIN "
    "INSERT INTO board_publication_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS board_pub_fts_ad AFTER DELETE ON board_publication BEGIN "
    "INSERT INTO board_publication_fts(board_publication_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    # Only when the words change: support counts are updated far more often than texts.
    "CREATE TRIGGER IF NOT EXISTS board_pub_fts_au "
    "AFTER UPDATE OF search_text ON board_publication BEGIN "
    "INSERT INTO board_publication_fts(board_publication_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO board_publication_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Rows written before this migration.
    "INSERT INTO board_publication_fts(board_publication_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS board_pub_fts_au",
    "DROP TRIGGER IF EXISTS board_pub_fts_ad",
    "DROP TRIGGER IF EXISTS board_pub_fts_ai",
    "DROP TABLE IF EXISTS board_publication_fts",
]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [PG_CREATE, PG_STATS])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [PG_DROP])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("board", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
