"""Full-text search of the board in Chinese, the same on PostgreSQL and SQLite.

Publications store their words segmented by jieba (`Publication.search_text`, filled on
approval with `xinfang.triage.textnorm.tokenize`); a query is segmented the same way. A
publication matches when every query word is one of its words — a whole word, so 路灯 does
not find 路灯杆 — and results are ordered like the list: newest published first.

PostgreSQL answers with the GIN index on to_tsvector('simple', search_text) and
plainto_tsquery('simple', words), which ANDs the words and quotes whatever operators a query
holds. SQLite answers with the FTS5 table board_publication_fts, each word a quoted phrase
(implicit AND). Both indexes come from migration 0002_search.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from xinfang.board.models import Publication
from xinfang.board.selectors import (
    MAX_PAGE,
    PER_PAGE,
    BoardFilters,
    BoardPage,
    page_fetch,
    publication_filter,
    published,
)
from xinfang.triage.textnorm import tokenize

MAX_QUERY_CHARS = 100
MAX_WORDS = 8
# How a search finds its page among a million rows (PostgreSQL plans, SQLite alike):
# 1. among the newest RECENT_ROWS rows (a B-tree range) — with filters then ten times as
#    many: a common word (小区) has its page there, found walking the list index newest first;
# 2. else the word is rare, and the word index gives all its matches, sorted afterwards —
#    in an order no B-tree index gives, so the planner cannot choose to walk the whole list
#    index re-segmenting every row until enough match (seconds for a word in one of 500).
RECENT_ROWS = 5000
RECENT_GROWTH = 10
RECENT_PER_ROW = 20  # deeper pages look at more of the newest rows
SEARCH_ORDER = (Coalesce("published_at", "received_at").desc(), "-id")

PG_MATCH = (
    "to_tsvector('simple', \"board_publication\".\"search_text\") @@ plainto_tsquery('simple', %s)"
)
# The same test on an expression the word index does not cover (`|| ''` changes nothing):
# among the newest rows, a common word's index entries (150,000 for 部门) cost more to read
# than walking a few thousand rows and testing each.
PG_MATCH_UNINDEXED = (
    "to_tsvector('simple', \"board_publication\".\"search_text\" || '') "
    "@@ plainto_tsquery('simple', %s)"
)
# A cheap necessary condition per word, tested first (PostgreSQL orders conditions by cost):
# walking rows newest first, only those holding the words are segmented again.
PG_PRECHECK = "strpos(' ' || lower(\"board_publication\".\"search_text\") || ' ', %s) > 0"
SQLITE_MATCH = (
    '"board_publication"."id" IN '
    "(SELECT rowid FROM board_publication_fts WHERE board_publication_fts MATCH %s)"
)


def query_words(query: str) -> list[str]:
    """The query's words as stored texts have them: segmented, stop words dropped, and only
    words with a letter or digit (punctuation is a word to jieba but not to either index)."""
    seen: dict[str, None] = {}
    for word in tokenize(query[:MAX_QUERY_CHARS]):
        word = word.strip().lower()
        if word and any(ch.isalnum() for ch in word):
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def match_condition(words: list[str], *, indexed: bool = True) -> RawSQL:
    """A WHERE condition true for publications holding every word, with the words passed as
    parameters (never spliced into the SQL); `indexed=False` keeps PostgreSQL off the word
    index."""
    if connection.vendor == "postgresql":
        # Constant SQL; the words travel as a parameter.
        match = PG_MATCH if indexed else PG_MATCH_UNINDEXED
        sql = " AND ".join([PG_PRECHECK] * len(words) + [match])
        params = [f" {w} " for w in words] + [" ".join(words)]
        return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611
    # FTS5 query syntax: a double-quoted string is a phrase; quotes inside are doubled.
    phrases = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    return RawSQL(SQLITE_MATCH, [phrases], output_field=BooleanField())  # noqa: S611


def publication_search(
    *, query: str, filters: BoardFilters, page: int = 1, per_page: int = PER_PAGE
) -> BoardPage:
    """The board's list narrowed by `filters` and, when the query has words, by the words.
    A query of stop words only (的, 了…) narrows nothing, as an empty one."""
    qs = publication_filter(qs=published(), filters=filters)
    words = query_words(query)
    if not words:
        return page_fetch(qs=qs, page=page, per_page=per_page)
    page = max(1, min(page, MAX_PAGE))
    need = page * per_page + 1
    first = max(RECENT_ROWS, RECENT_PER_ROW * need)
    # Ten times more of the newest only when filters leave few of them (a common word in a
    # small city); a word rare among the newest 5,000 of the whole board is rare everywhere.
    narrowed = filters != BoardFilters()
    for recent in (first, first * RECENT_GROWTH) if narrowed else (first,):
        walked = qs.filter(match_condition(words, indexed=False))
        result = _among_newest(walked, recent=recent, page=page, per_page=per_page)
        if result is not None:
            return result
    matching = qs.filter(match_condition(words))
    return page_fetch(qs=matching, page=page, per_page=per_page, order=SEARCH_ORDER)


def _among_newest(
    matching: QuerySet[Publication], *, recent: int, page: int, per_page: int
) -> BoardPage | None:
    """The page when the newest `recent` rows of the board hold it and one more row (then
    nothing older can come before them), else None."""
    # The edge of the newest rows of the whole board: a walk of the list index (with a
    # region, the region's newest would need a sort of all its rows).
    newest = published().order_by("-published_at").values_list("published_at", flat=True)
    edge = list(newest[recent - 1 : recent])
    if not edge or edge[0] is None:
        return None  # a board this small is searched whole
    result = page_fetch(qs=matching.filter(published_at__gte=edge[0]), page=page, per_page=per_page)
    return result if result.has_next else None
