from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xinfang.cases.models import Attachment, Case
from xinfang.intake.tests.test_api import PNG
from xinfang.orgs.tests.factories import make_bureau

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "form_token": "tok-1",
        "region_code": "430102",
        "petition_type": "appeal",
        "title": "路灯长期不亮",
        "content": "五一路附近路灯坏了两个月，晚上出行很不安全。",
        "name": "赵六",
        "phone": "13907311234",
    }
    data.update(overrides)
    return data


def test_form_renders_with_types_and_picker(client: Client, bureau: Any) -> None:
    html = client.get("/submit/").content.decode()
    assert 'name="region_code"' in html
    for label in ("申诉求决", "建议意见", "检举控告"):
        assert label in html


def test_submission_shows_receipt_with_codes(client: Client, bureau: Any) -> None:
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = client.post("/submit/", {**form(), "attachments": [upload], "consent_publish": "on"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == "web"
    assert case.consent_publish
    assert Attachment.objects.get(case=case).original_name == "现场.png"
    receipt = client.get(response["Location"]).content.decode()
    assert case.item_number in receipt
    assert case.query_code in receipt


def test_double_submit_makes_one_petition(client: Client, bureau: Any) -> None:
    client.post("/submit/", form())
    client.post("/submit/", form())
    assert Case.objects.count() == 1


def test_errors_are_shown_next_to_fields_and_nothing_is_written(
    client: Client, bureau: Any
) -> None:
    response = client.post("/submit/", form(title="", phone="123", region_code=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写标题" in html
    assert "请填写有效的手机号" in html
    assert "请选择问题属地" in html
    assert 'value="路灯长期不亮"' not in html  # the empty title stayed empty
    assert "五一路附近路灯坏了两个月" in html  # what was typed is kept
    assert Case.objects.count() == 0


def test_forbidden_upload_is_refused(client: Client, bureau: Any) -> None:
    upload = SimpleUploadedFile("run.png", b"#!/bin/sh\nrm -rf /\n", content_type="image/png")
    response = client.post("/submit/", {**form(), "attachments": [upload]})
    assert response.status_code == 400
    assert "不支持的文件类型" in response.content.decode()
    assert Case.objects.count() == 0


def test_bad_file_and_bad_fields_are_reported_together(client: Client, bureau: Any) -> None:
    upload = SimpleUploadedFile("run.png", b"#!/bin/sh\n", content_type="image/png")
    html = client.post("/submit/", {**form(title="", name=""), "attachments": [upload]}).content
    text = html.decode()
    assert "不支持的文件类型" in text
    assert "请填写标题" in text
    assert "实名信访请填写姓名" in text


def test_english_interface(client: Client, bureau: Any) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/submit/"})
    response = client.post("/submit/", form(phone="123"))
    assert "Enter a valid mobile number" in response.content.decode()
