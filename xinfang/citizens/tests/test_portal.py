"""My petitions, adding material, who may download a file, and the submission limit."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.cases.models import Attachment, Case, CaseEvent, EventKind
from xinfang.cases.services import case_transition
from xinfang.cases.tests.factories import VALID_PHONE, make_case
from xinfang.cases.workflow import Actor, CaseStatus, CloseReason
from xinfang.citizens.tests.helpers import FILE_BACKEND, sign_in
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_bureau, make_staff
from xinfang.signin.tests.helpers import force_login_verified

pytestmark = pytest.mark.django_db

OTHER_PHONE = "13800001111"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    settings.XINFANG_SMS_BACKEND = FILE_BACKEND
    settings.XINFANG_SMS_FILE_DIR = tmp_path / "sms"
    return tmp_path / "sms"


def person(phone: str) -> dict[str, str]:
    return {"name": "李明", "phone": phone}


def test_my_petitions_lists_only_the_signed_in_phones_named_cases(
    client: Client, bureau: Any, outbox: Path
) -> None:
    assert client.get("/me/")["Location"].startswith("/me/login/")
    older = make_case(title="第一件：路灯不亮")
    newer = make_case(title="第二件：噪音扰民")
    others = make_case(title="别人的事情", petitioner=person(OTHER_PHONE))
    anonymous = make_case(title="匿名的事情", anonymous=True)
    sign_in(client, VALID_PHONE, outbox)
    page = client.get("/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(newer.title) < html.index(older.title)  # newest first
    assert others.title not in html
    assert anonymous.title not in html
    assert "139****1234" in html
    assert VALID_PHONE not in html
    assert f"/me/cases/{newer.query_code}/" in html
    # Their case opens without the second factor; another's is 404 even with its code.
    mine = client.get(f"/me/cases/{newer.query_code}/")
    assert mine.status_code == 200
    assert 'id="track-result"' in mine.content.decode()
    assert 'id="verify"' not in mine.content.decode()
    assert client.get(f"/me/cases/{others.query_code}/").status_code == 404
    assert client.get(f"/me/cases/{anonymous.query_code}/").status_code == 404


def test_add_material_with_a_png_and_who_may_download_it(
    client: Client, bureau: Any, outbox: Path, tmp_path: Path
) -> None:
    case = make_case()
    sign_in(client, VALID_PHONE, outbox)
    png = tmp_path / "现场.png"
    png.write_bytes(PNG)
    with png.open("rb") as upload:
        done = client.post(
            "/me/material/",
            {
                "query_code": case.query_code,
                "material": "补充<b>照片</b>一张",
                "attachments": upload,
            },
        )
    assert done.status_code == 302
    assert done["Location"] == f"/me/cases/{case.query_code}/#material"
    event = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
    assert event.is_public
    assert event.payload["material"] == "补充<b>照片</b>一张"
    assert event.payload["attachments"] == 1
    item = Attachment.objects.get(case=case)
    assert item.content_type == "image/png"
    assert item.original_name == "现场.png"

    page = client.get(done["Location"]).content.decode()
    assert "补充材料已提交。" in page
    assert f"/me/files/{item.pk}/" in page

    # The petitioner: an image opens inline, never sniffed into something else.
    mine = client.get(f"/me/files/{item.pk}/")
    assert mine.status_code == 200
    assert mine.getvalue() == PNG
    assert mine["Content-Type"] == "image/png"
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert mine["Content-Disposition"].startswith("inline")

    # Anyone else: 404, signed in with another phone or not at all.
    assert Client().get(f"/me/files/{item.pk}/").status_code == 404
    stranger = Client()
    sign_in(stranger, OTHER_PHONE, outbox)
    assert stranger.get(f"/me/files/{item.pk}/").status_code == 404

    # Staff: the registering bureau may, a bureau elsewhere may not.
    staff = Client()
    registrar = make_staff(org=bureau, role=Role.REGISTRAR)
    force_login_verified(staff, registrar)
    assert f"/me/files/{item.pk}/" in staff.get(f"/staff/cases/{case.pk}/").content.decode()
    assert staff.get(f"/me/files/{item.pk}/").status_code == 200
    read = AuditEntry.objects.filter(action=AuditAction.CASE_VIEW, object_type="attachment")
    assert list(read.values_list("actor", "object_id")) == [(registrar.pk, str(item.pk))]
    outsider = Client()
    force_login_verified(outsider, make_staff(org=make_bureau("430200"), role=Role.REGISTRAR))
    assert outsider.get(f"/me/files/{item.pk}/").status_code == 404


def test_material_via_the_query_code_and_its_errors(client: Client, bureau: Any) -> None:
    case = make_case()
    refused = client.post("/me/material/", {"query_code": case.query_code, "material": "x"})
    assert refused.status_code == 403  # not looked up yet
    client.post("/track/", {"query_code": case.query_code, "verify": VALID_PHONE[-4:]})
    empty = client.post("/me/material/", {"query_code": case.query_code, "material": "  "})
    assert empty.status_code == 400
    assert 'id="material-error"' in empty.content.decode()
    bad = client.post(
        "/me/material/",
        {
            "query_code": case.query_code,
            "material": "说明<script>alert(1)</script>",
            "attachments": _upload("a.png", b"MZ not an image"),
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert 'id="attachments-error"' in html
    assert "说明&lt;script&gt;alert(1)&lt;/script&gt;" in html  # kept, and escaped
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).exists()
    done = client.post("/me/material/", {"query_code": case.query_code, "material": "新情况"})
    assert done["Location"] == f"/track/?code={case.query_code}#material"
    docx = _upload("x.docx", _docx_bytes())
    client.post("/me/material/", {"query_code": case.query_code, "attachments": docx})
    item = Attachment.objects.get(case=case)
    download = client.get(f"/me/files/{item.pk}/")
    assert download["Content-Disposition"].startswith("attachment")


def test_no_material_once_the_case_is_closed(client: Client, bureau: Any) -> None:
    case = make_case()
    client.post("/track/", {"query_code": case.query_code, "verify": VALID_PHONE[-4:]})
    case_transition(
        case=case,
        to=CaseStatus.CLOSED,
        actor=None,
        by=Actor.PETITIONER,
        close_reason=CloseReason.WITHDRAWN,
        reason="撤回",
    )
    page = client.get(f"/track/?code={case.query_code}").content.decode()
    assert 'id="act-material"' not in page
    refused = client.post("/me/material/", {"query_code": case.query_code, "material": "还有"})
    assert refused.status_code == 400
    assert "本事项已办结" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED


def test_web_submissions_are_limited_per_client(client: Client, bureau: Any, settings: Any) -> None:
    settings.XINFANG_SUBMIT_MAX_PER_HOUR = 2
    cache.clear()
    form = {
        "title": "小区夜间施工噪音扰民",
        "content": "某工地每晚十点后仍在施工，噪音很大，请有关部门查处。",
        "petition_type": "appeal",
        "region_code": "430102",
        "name": "李明",
        "phone": VALID_PHONE,
    }
    invalid = client.post("/submit/", {**form, "title": ""}, REMOTE_ADDR="10.1.1.1")
    assert invalid.status_code == 400  # a failed submit does not count
    for n in range(2):
        ok = client.post("/submit/", {**form, "form_token": f"t{n}"}, REMOTE_ADDR="10.1.1.1")
        assert ok.status_code == 302
    third = client.post("/submit/", {**form, "form_token": "t3"}, REMOTE_ADDR="10.1.1.1")
    assert third.status_code == 429
    html = third.content.decode()
    assert "提交过于频繁" in html
    assert "小区夜间施工噪音扰民" in html
    assert Case.objects.count() == 2
    other = client.post("/submit/", {**form, "form_token": "t4"}, REMOTE_ADDR="10.1.1.2")
    assert other.status_code == 302
    cache.clear()


def test_submit_form_has_the_similar_petitions_panel(client: Client, bureau: Any) -> None:
    html = client.get("/submit/").content.decode()
    assert 'id="similar-hint"' in html
    assert 'hx-get="/board/hint/"' in html
    assert 'aria-live="polite"' in html
    assert "htmx-2.0.4.min.js" in html
    home = client.get("/").content.decode()
    for link in ('href="/submit/"', 'href="/track/"', 'href="/me/"', 'href="/board/"'):
        assert link in home


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()
