"""Board list and Chinese full-text search: the same answers on SQLite (FTS5) and PostgreSQL
(GIN over to_tsvector('simple')) — the suite runs on both."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from xinfang.board.models import Publication, PublicationStatus
from xinfang.board.search import publication_search, query_words
from xinfang.board.selectors import BoardFilters, publication_get, publication_list
from xinfang.board.tests.factories import make_publication, search_text
from xinfang.catalog.models import Category
from xinfang.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db

NOISE = ("小区夜间施工噪音扰民", "某工地每晚十点后仍在施工，噪音很大，请有关部门查处。")
WAGES = ("农民工工资被拖欠", "某建筑公司拖欠农民工工资三个月，要求尽快支付。")
LIGHTS = ("路灯长期不亮", "小区门口的路灯坏了半年，夜间出行很不安全。")


def titles(rows: list[Publication]) -> list[str]:
    return [p.title for p in rows]


def search(query: str, **filters: Any) -> list[str]:
    return titles(publication_search(query=query, filters=BoardFilters(**filters)).rows)


@pytest.fixture
def three() -> list[Publication]:
    now = timezone.now()
    return [
        make_publication(title=t, content=c, published_at=now - timedelta(hours=i))
        for i, (t, c) in enumerate([NOISE, WAGES, LIGHTS])
    ]


def test_the_index_exists_on_this_database() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'board_publication_fts'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'board_pub_search'")
        assert cursor.fetchone() is not None


def test_a_chinese_word_finds_the_publications_holding_it(three: list[Publication]) -> None:
    assert search("噪音") == [NOISE[0]]
    assert search("工资") == [WAGES[0]]
    assert search("夜间") == [NOISE[0], LIGHTS[0]]  # newest first


def test_every_query_word_must_be_present(three: list[Publication]) -> None:
    assert query_words("夜间路灯") == ["夜间", "路灯"]
    assert search("夜间路灯") == [LIGHTS[0]]
    assert search("噪音 工资") == []


def test_words_match_whole_not_inside_other_words(three: list[Publication]) -> None:
    # 路灯 is a stored word of the lights case; 灯 alone is nobody's word (a LIKE would match).
    assert search("路灯") == [LIGHTS[0]]
    assert search("灯") == []


def test_stop_words_and_empty_queries_narrow_nothing(three: list[Publication]) -> None:
    assert query_words("的了") == []
    assert search("的") == search("") == [NOISE[0], WAGES[0], LIGHTS[0]]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ('"噪音', [NOISE[0]]),
        ("噪音*", [NOISE[0]]),
        ("噪音 & | ! ( ) :", [NOISE[0]]),
        ("噪音 OR 工资", []),  # OR is a word like any other, and nobody wrote it
        ("NEAR(噪音", []),
        ("'; DROP TABLE board_publication; --", []),
        ("\\", [NOISE[0], WAGES[0], LIGHTS[0]]),  # no words: the whole board
    ],
)
def test_query_syntax_is_never_interpreted(
    three: list[Publication], query: str, found: list[str]
) -> None:
    assert search(query) == found


def test_only_published_rows_are_listed_searched_or_shown(three: list[Publication]) -> None:
    hidden = {
        s: make_publication(title=f"噪音{s}", content=NOISE[1], status=s)
        for s in (
            PublicationStatus.PENDING,
            PublicationStatus.REJECTED,
            PublicationStatus.WITHDRAWN,
        )
    }
    assert search("噪音") == [NOISE[0]]
    assert len(publication_list(filters=BoardFilters()).rows) == 3
    for row in hidden.values():
        with pytest.raises(Http404):
            publication_get(pk=row.pk)
    assert publication_get(pk=three[0].pk).title == NOISE[0]


def test_changed_and_removed_texts_leave_the_index(three: list[Publication]) -> None:
    noise = three[0]
    text = search_text("小区夜间施工扬尘", "工地扬尘严重。")
    Publication.objects.filter(pk=noise.pk).update(search_text=text)
    assert search("噪音") == []
    assert search("扬尘") == [NOISE[0]]
    Publication.objects.filter(pk=noise.pk).delete()
    assert search("扬尘") == []


def test_region_filter_takes_a_city_or_a_county(three: list[Publication]) -> None:
    make_publication(title="岳麓区噪音", content=NOISE[1], region_code="430104")
    make_publication(title="株洲噪音", content=NOISE[1], region_code="430202")
    assert search("噪音", region="430104") == ["岳麓区噪音"]
    assert search("噪音", region="430100") == ["岳麓区噪音", NOISE[0]]
    assert search("噪音", region="4302") == ["株洲噪音"]
    assert search("", region="430102") == [NOISE[0], WAGES[0], LIGHTS[0]]


def test_category_unit_reply_and_date_filters(three: list[Publication]) -> None:
    unit = make_org(name="长沙市芙蓉区住房和城乡建设局")
    category = Category.objects.filter(level=1).first()
    old = timezone.now() - timedelta(days=40)
    make_publication(
        title="施工噪音已答复",
        content=NOISE[1],
        reply="已责令工地停止夜间施工。",
        unit=unit,
        category=category,
        published_at=old,
    )
    assert search("噪音", replied=True) == ["施工噪音已答复"]
    assert search("噪音", replied=False) == [NOISE[0]]
    assert search("", unit_id=unit.pk) == ["施工噪音已答复"]
    if category is not None:
        assert search("噪音", category_id=category.pk) == ["施工噪音已答复"]
    today = timezone.localdate()
    assert search("噪音", since=today) == [NOISE[0]]
    assert search("噪音", until=today - timedelta(days=30)) == ["施工噪音已答复"]
    assert search("噪音", since=date(2000, 1, 1), until=today) == [NOISE[0], "施工噪音已答复"]


def test_pages_are_newest_first_and_say_whether_more_follow() -> None:
    now = timezone.now()
    for i in range(5):
        make_publication(
            title=f"噪音第{i}件", content=NOISE[1], published_at=now - timedelta(hours=i)
        )
    first = publication_search(query="噪音", filters=BoardFilters(), page=1, per_page=2)
    third = publication_search(query="噪音", filters=BoardFilters(), page=3, per_page=2)
    assert titles(first.rows) == ["噪音第0件", "噪音第1件"]
    assert first.has_next
    assert titles(third.rows) == ["噪音第4件"]
    assert not third.has_next
    listed = publication_list(filters=BoardFilters(), page=2, per_page=2)
    assert titles(listed.rows) == ["噪音第2件", "噪音第3件"]
    assert listed.has_next


@pytest.mark.parametrize("recent", [1, 2, 3, 6])
def test_the_newest_rows_first_answer_as_the_whole_board(
    monkeypatch: pytest.MonkeyPatch, recent: int
) -> None:
    """Searching the newest rows first (one million of them in production) gives the same
    page as the whole board, whether the newest rows hold the page or not."""
    from xinfang.board import search as module

    now = timezone.now()
    for i, (title, content) in enumerate([NOISE, WAGES, LIGHTS, NOISE, WAGES, NOISE]):
        make_publication(
            title=f"{title}{i}", content=content, published_at=now - timedelta(hours=i)
        )
    monkeypatch.setattr(module, "RECENT_ROWS", recent)
    monkeypatch.setattr(module, "RECENT_PER_ROW", 1)
    monkeypatch.setattr(module, "RECENT_GROWTH", 2)
    for page, filters in itertools.product((1, 2, 3), (BoardFilters(), BoardFilters(region="43"))):
        got = publication_search(query="噪音", filters=filters, page=page, per_page=1)
        assert titles(got.rows) == [[f"{NOISE[0]}0"], [f"{NOISE[0]}3"], [f"{NOISE[0]}5"]][page - 1]
        assert got.has_next == (page < 3)
