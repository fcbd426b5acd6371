"""Idempotency keys are unique per channel: a key sent to the public API cannot claim (and so
block) another channel's delivery, and each channel still gets its own replays."""

from __future__ import annotations

from typing import Any

from django.test import Client

from xinfang.cases.models import Case, Channel
from xinfang.cases.tests.factories import petition_payload
from xinfang.intake.services import petition_submit
from xinfang.intake.tests.test_api import bureau, post  # noqa: F401  (fixture)
from xinfang.intake.text import delivery_key


def test_an_api_key_cannot_claim_a_hotline_delivery(client: Client, bureau: Any) -> None:  # noqa: F811
    key = delivery_key("12345", "GD20261128001")
    taken = post(client, petition_payload(title="抢先占用的键"), key=key)
    assert taken.status_code == 201

    order = petition_submit(channel=Channel.HOTLINE, data=petition_payload(), idempotency_key=key)
    again = petition_submit(channel=Channel.HOTLINE, data=petition_payload(), idempotency_key=key)

    assert order.created
    assert order.case.channel == Channel.HOTLINE
    assert not again.created
    assert again.case.pk == order.case.pk
    assert Case.objects.filter(idempotency_key=key).count() == 2  # one per channel


def test_delivery_key_hashes_what_does_not_fit_instead_of_cutting() -> None:
    long_a = delivery_key("wechat", "wx1", "x" * 200 + "a")
    long_b = delivery_key("wechat", "wx1", "x" * 200 + "b")
    assert long_a != long_b  # a cut at 128 characters would make them one key
    assert long_a.startswith("wechat:h:")
    assert len(long_a) <= 128
    assert delivery_key("12345", "GD1") == "12345:GD1"
    assert delivery_key("mail", "1", "<id@例子.cn>").startswith("mail:h:")
