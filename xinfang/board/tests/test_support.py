"""Likes and "this is my issue too": one per person, kind and case; capped per client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.board import support, views
from xinfang.board.models import Publication, Support, SupportKind
from xinfang.board.tests.factories import make_publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def pub() -> Publication:
    return make_publication()


def like(client: Client, pub: Publication, ip: str = "10.1.1.1", kind: str = "like") -> Any:
    return client.post(f"/board/{pub.pk}/support/", {"kind": kind}, REMOTE_ADDR=ip)


def count(pub: Publication) -> int:
    return Publication.objects.get(pk=pub.pk).support_count


def test_a_like_counts_once_per_person(client: Client, pub: Publication) -> None:
    first = like(client, pub)
    assert first.status_code == 302
    assert first["Location"] == f"/board/{pub.pk}/#support"
    like(client, pub)
    assert count(pub) == 1
    assert Support.objects.filter(case=pub.case, kind=SupportKind.LIKE).count() == 1
    page = client.get(f"/board/{pub.pk}/", REMOTE_ADDR="10.1.1.1").content.decode()
    assert 'id="support-like" disabled aria-pressed="true"' in page
    like(client, pub, ip="10.2.2.2")
    assert count(pub) == 2


def test_like_and_me_too_are_separate_kinds(client: Client, pub: Publication) -> None:
    like(client, pub)
    like(client, pub, kind="me_too")
    assert set(Support.objects.values_list("kind", flat=True)) == {"like", "me_too"}
    assert count(pub) == 2
    assert like(client, pub, kind="vote").status_code == 400


def test_the_supporter_is_a_digest_never_the_address(client: Client, pub: Publication) -> None:
    like(client, pub, ip="10.3.3.3")
    supporter = Support.objects.get().supporter
    assert "10.3.3.3" not in supporter
    assert len(supporter) == 40


def test_a_signed_in_citizen_is_one_person_on_any_network(client: Client, pub: Publication) -> None:
    session = client.session
    session["citizen_phone_index"] = "phone-index-of-a-citizen"
    session.save()
    like(client, pub, ip="10.4.4.4")
    like(client, pub, ip="10.5.5.5")
    assert count(pub) == 1
    assert Support.objects.get().supporter == support.supporter_digest(
        phone_index="phone-index-of-a-citizen", client_key="anything"
    )


def test_me_too_from_the_hint_answers_a_fragment(client: Client, pub: Publication) -> None:
    response = client.post(
        f"/board/{pub.pk}/support/?kind=me_too", HTTP_HX_REQUEST="true", REMOTE_ADDR="10.6.6.6"
    )
    assert response.status_code == 200
    assert "已记录" in response.content.decode()
    assert Support.objects.get().kind == SupportKind.ME_TOO


def test_csrf_is_required(pub: Publication) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert like(strict, pub).status_code == 403
    assert count(pub) == 0


def test_one_client_is_capped_per_hour(client: Client, monkeypatch: Any) -> None:
    limit = 3
    pubs = [make_publication(title=f"小区施工噪音问题{i}") for i in range(limit + 1)]
    monkeypatch.setattr(views, "SUPPORTS_PER_HOUR", limit)
    answers = [like(client, p, ip="10.7.7.7") for p in pubs]
    assert [count(p) for p in pubs] == [1, 1, 1, 0]
    assert answers[-1]["Location"].endswith("?throttled=1#support")
    page = client.get(answers[-1]["Location"], REMOTE_ADDR="10.7.7.7").content.decode()
    assert 'id="support-throttled"' in page
    # Another client is not affected.
    assert like(client, pubs[-1], ip="10.8.8.8").status_code == 302
    assert count(pubs[-1]) == 1
