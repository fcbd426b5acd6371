"""The public board pages and the submission hint, through HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from xinfang.board import views
from xinfang.board.models import PublicationStatus
from xinfang.board.tests.factories import make_publication
from xinfang.handling.models import Rating, RatingParty, RatingValue
from xinfang.orgs.tests.factories import make_org
from xinfang.triage.models import TextSignature

pytestmark = pytest.mark.django_db

NOISE_TITLE = "小区夜间施工噪音扰民"
NOISE_CONTENT = "某工地每晚十点后仍在施工，噪音很大，严重影响居民休息，请有关部门查处。"


def body(response: Any) -> str:
    return str(response.content.decode())


def test_the_board_lists_and_searches_published_cases_only(client: Client) -> None:
    make_publication(title=NOISE_TITLE, content=NOISE_CONTENT)
    make_publication(title="物业乱收停车费", content="小区物业擅自提高停车收费标准。")
    make_publication(
        title="待审核的噪音投诉", content=NOISE_CONTENT, status=PublicationStatus.PENDING
    )
    page = body(client.get("/board/"))
    assert NOISE_TITLE in page
    assert "物业乱收停车费" in page
    assert "待审核的噪音投诉" not in page
    found = body(client.get("/board/", {"q": "噪音"}))
    assert NOISE_TITLE in found
    assert "物业乱收停车费" not in found
    assert "待审核" not in found
    none = client.get("/board/", {"q": "拆迁补偿"})
    assert none.status_code == 200
    assert 'id="board-empty"' in body(none)


def test_region_filter_through_city_and_county(client: Client) -> None:
    make_publication(title="芙蓉区噪音", content=NOISE_CONTENT, region_code="430102")
    make_publication(title="岳麓区噪音", content=NOISE_CONTENT, region_code="430104")
    city = body(client.get("/board/", {"region": "430100"}))
    assert "芙蓉区噪音" in city
    assert "岳麓区噪音" in city
    assert 'name="county"' in city  # the city's counties are offered once a city is chosen
    county = body(client.get("/board/", {"region": "430100", "county": "430104"}))
    assert "岳麓区噪音" in county
    assert "芙蓉区噪音" not in county
    # A county left over from another city is ignored, the city is not.
    other = body(client.get("/board/", {"region": "430200", "county": "430104"}))
    assert "岳麓区噪音" not in other


def test_bad_filters_answer_400_with_the_reason(client: Client) -> None:
    response = client.get("/board/", {"since": "yesterday", "region": "x"})
    assert response.status_code == 400
    assert 'id="board-errors"' in body(response)


def test_pages_link_to_each_other_keeping_the_query(client: Client) -> None:
    now = timezone.now()
    for i in range(21):
        make_publication(
            title=f"噪音{i}号", content=NOISE_CONTENT, published_at=now - timedelta(minutes=i)
        )
    first = body(client.get("/board/", {"q": "噪音"}))
    assert "q=%E5%99%AA%E9%9F%B3&amp;page=2" in first
    assert 'rel="prev"' not in first
    second = client.get("/board/", {"q": "噪音", "page": 2})
    assert "噪音20号" in body(second)
    assert 'rel="next"' not in body(second)


def test_case_page_shows_redacted_text_reply_time_unit_and_figures(client: Client) -> None:
    unit = make_org(name="长沙市芙蓉区住房和城乡建设局")
    pub = make_publication(
        title=NOISE_TITLE,
        content="某工地每晚施工，联系电话***。",
        reply="经查，已责令施工单位停止夜间施工。",
        unit=unit,
    )
    Rating.objects.create(
        case=pub.case,
        party=RatingParty.UNIT,
        org=unit,
        value=RatingValue.SATISFIED,
        rated_at=timezone.now(),
    )
    page = body(client.get(f"/board/{pub.pk}/"))
    assert "联系电话***" in page
    assert "已责令施工单位停止夜间施工" in page
    assert 'id="case-replied-at"' in page
    assert unit.name in page
    assert 'id="unit-figures"' in page
    assert "3.0" in page
    assert "100%" in page
    assert "湖南省长沙市芙蓉区" in page


def test_unpublished_and_unknown_cases_are_404(client: Client) -> None:
    for status in (
        PublicationStatus.PENDING,
        PublicationStatus.WITHDRAWN,
        PublicationStatus.REJECTED,
    ):
        pub = make_publication(status=status)
        assert client.get(f"/board/{pub.pk}/").status_code == 404
        assert client.post(f"/board/{pub.pk}/support/", {"kind": "like"}).status_code == 404
    assert client.get("/board/999999/").status_code == 404


# --- the submission hint ---------------------------------------------------------------------


def hint(client: Client, **params: str) -> str:
    response = client.get("/board/hint/", params)
    assert response.status_code == 200
    return body(response)


def test_hint_suggests_the_category_and_a_similar_open_case_nearby(client: Client) -> None:
    pub = make_publication(title=NOISE_TITLE, content=NOISE_CONTENT, region_code="430102")
    fragment = hint(client, title=NOISE_TITLE, content=NOISE_CONTENT, region_code="430102")
    assert 'id="hint-category"' in fragment
    assert f'id="hint-{pub.pk}"' in fragment
    assert f"/board/{pub.pk}/support/?kind=me_too" in fragment
    assert 'hx-params="none"' in fragment


def test_hint_never_shows_unpublished_replied_or_other_county_cases(client: Client) -> None:
    hidden = [
        make_publication(
            title=NOISE_TITLE, content=NOISE_CONTENT, status=PublicationStatus.PENDING
        ),
        make_publication(title=NOISE_TITLE, content=NOISE_CONTENT, reply="已答复。"),
        make_publication(title=NOISE_TITLE, content=NOISE_CONTENT, region_code="430104"),
    ]
    fragment = hint(client, title=NOISE_TITLE, content=NOISE_CONTENT, region_code="430102")
    for pub in hidden:
        assert f'id="hint-{pub.pk}"' not in fragment


def test_hint_falls_back_to_the_title_words(client: Client) -> None:
    # A case whose stored signature is of another text: only the words can find it.
    pub = make_publication(title="夜间施工噪音", content="工地晚上一直在打桩。")
    TextSignature.objects.filter(case_id=pub.case_id).delete()
    fragment = hint(client, title="施工噪音太大", content="晚上睡不着觉", region_code="430102")
    assert f'id="hint-{pub.pk}"' in fragment


def test_hint_says_nothing_on_short_text_and_is_rate_limited(
    client: Client, monkeypatch: Any
) -> None:
    assert "hint-category" not in hint(client, title="噪音", content="", region_code="430102")
    limit = 5
    monkeypatch.setattr(views, "HINTS_PER_MINUTE", limit)
    codes = [
        client.get("/board/hint/", {"title": "噪音"}, REMOTE_ADDR="10.9.9.9").status_code
        for _ in range(limit + 1)
    ]
    assert codes[:limit] == [200] * limit
    assert codes[-1] == 429
