from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from xinfang.cases.tests.factories import make_case
from xinfang.documents.choices import DocumentKind
from xinfang.documents.tests.factories import make_document
from xinfang.orgs.tests.factories import make_bureau, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> Any:
    make_bureau("430100")
    return make_document(case=make_case(), kind=DocumentKind.REPLY_OPINION)


def test_print_page_for_staff_of_the_registering_unit(client: Client, document: Any) -> None:
    client.force_login(make_staff(org=document.case.register_org))
    response = client.get(reverse("documents:print", args=[document.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert document.html in page  # the frozen body, unescaped
    assert document.number in page
    assert "打印 Print" in page
    assert "css/print.css" in page
    assert "js/print.js" in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_print_page_is_404_for_another_unit(client: Client, document: Any) -> None:
    client.force_login(make_staff(org=make_bureau("430200")))
    assert client.get(reverse("documents:print", args=[document.pk])).status_code == 404


def test_print_page_is_404_for_a_missing_document(client: Client, document: Any) -> None:
    client.force_login(make_staff(org=document.case.register_org))
    assert client.get(reverse("documents:print", args=[document.pk + 1000])).status_code == 404


def test_print_page_needs_sign_in(client: Client, document: Any) -> None:
    response = client.get(reverse("documents:print", args=[document.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin:login"))


def test_print_page_shows_service_state(client: Client, document: Any) -> None:
    client.force_login(make_staff(org=document.case.register_org))
    page = client.get(reverse("documents:print", args=[document.pk])).content.decode()
    assert "未送达" in page


def test_print_script_calls_window_print() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("js/print.js")
    assert path
    with open(path, encoding="utf-8") as fh:
        assert "window.print()" in fh.read()


def test_admin_lists_only_documents_of_cases_in_scope(client: Client, document: Any) -> None:
    make_bureau("430200")
    other = make_document(case=make_case(region_code="430202"))  # registered in 株洲
    client.force_login(make_staff(org=document.case.register_org))
    page = client.get(reverse("admin:documents_document_changelist")).content.decode()
    assert document.number in page
    assert reverse("documents:print", args=[document.pk]) in page
    assert other.number not in page
    detail = client.get(reverse("admin:documents_document_change", args=[document.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("admin:documents_document_change", args=[other.pk])).status_code in (
        302,
        404,
    )
