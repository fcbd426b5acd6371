from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xinfang.documents.admin import DocumentTemplateForm
from xinfang.documents.bundled import DEFAULT_TITLES, default_body
from xinfang.documents.choices import DocumentKind
from xinfang.documents.models import DocumentTemplate
from xinfang.documents.rendering import template_problems
from xinfang.documents.services import template_defaults_install
from xinfang.orgs.tests.factories import make_bureau, make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_has_a_valid_shipped_default(kind: DocumentKind) -> None:
    assert template_problems(kind=kind, body=default_body(kind), issued=timezone.localdate()) == []
    template = DocumentTemplate.objects.get(kind=kind, language="zh-hans")
    assert (template.title, template.body, template.is_active) == (
        DEFAULT_TITLES[kind],
        default_body(kind),
        True,
    )


def test_defaults_install_adds_only_what_is_missing() -> None:
    assert template_defaults_install() == 0  # the data migration installed them
    DocumentTemplate.objects.filter(kind=DocumentKind.REPLY_OPINION).delete()
    DocumentTemplate.objects.filter(kind=DocumentKind.RECEIPT_NOTICE).update(title="已修改")
    assert template_defaults_install() == 1
    assert DocumentTemplate.objects.get(kind=DocumentKind.RECEIPT_NOTICE).title == "已修改"


def _form(body: str, kind: DocumentKind = DocumentKind.REPLY_OPINION) -> DocumentTemplateForm:
    instance = DocumentTemplate.objects.get(kind=kind)
    data = {"kind": kind, "language": "zh-hans", "title": "标题", "body": body, "is_active": "on"}
    return DocumentTemplateForm(data=data, instance=instance)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>{% if fields.outcome %}未闭合</p>", "模板语法错误"),
        ("<p>{{ fields.outcome|nosuchfilter }}</p>", "模板语法错误"),
        ("{% load humanize %}{{ doc.number }}", "模板语法错误"),
        ("<p>{{ fields.remedy_organ }}</p>", "不存在的变量：fields.remedy_organ"),
        ("<p>{{ case.petitioners }}</p>", "不存在的变量：case.petitioners"),
        ('{% include "base.html" %}', "include、extends 或 debug"),
        ("{% debug %}", "include、extends 或 debug"),
        ("<script>alert(1)</script>{{ doc.number }}", "不得包含脚本"),
        ('<p onclick="x()">{{ doc.number }}</p>', "不得包含脚本"),
        ('<a href="javascript:x()">{{ doc.number }}</a>', "不得包含脚本"),
    ],
)
def test_admin_form_refuses_a_broken_template(body: str, message: str) -> None:
    form = _form(body)
    assert not form.is_valid()
    assert any(message in error for error in form.errors["body"]), form.errors


def test_admin_form_accepts_a_good_template() -> None:
    form = _form(
        "<p>{{ doc.number }} {{ fields.outcome }}"
        "{% if values.outcome == 'support' %}是{% endif %}</p>"
    )
    assert form.is_valid(), form.errors


def test_variables_of_another_kind_are_unknown() -> None:
    form = _form("<p>{{ fields.new_due }}</p>", kind=DocumentKind.REPLY_OPINION)
    assert not form.is_valid()
    assert _form("<p>{{ fields.new_due }}</p>", kind=DocumentKind.EXTENSION_NOTICE).is_valid()


@pytest.fixture
def editor(client: Client) -> Any:
    user = make_staff(org=make_bureau("430100"))
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_documenttemplate", "change_documenttemplate"]
        )
    )
    client.force_login(user)
    return user


def test_admin_edit_is_checked_and_versioned(client: Client, editor: Any) -> None:
    template = DocumentTemplate.objects.get(kind=DocumentKind.EXTENSION_NOTICE)
    url = reverse("admin:documents_documenttemplate_change", args=[template.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "fields.new_due" in page.content.decode()  # the editor is shown what it may use

    bad = {"title": "延期告知书", "body": "{% for %}", "is_active": "on"}
    response = client.post(url, bad)
    assert response.status_code == 200
    assert "模板语法错误" in response.content.decode()
    template.refresh_from_db()
    assert template.version == 1

    good = {"title": "延期告知书", "body": "<p>{{ fields.new_due }}</p>", "is_active": "on"}
    assert client.post(url, good).status_code == 302
    template.refresh_from_db()
    assert (template.version, template.updated_by, template.body) == (
        2,
        editor,
        "<p>{{ fields.new_due }}</p>",
    )
    assert template.kind == DocumentKind.EXTENSION_NOTICE
