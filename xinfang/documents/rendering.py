"""Rendering documents from admin-editable template source, and checking that source.

Templates run in an engine of their own: no loaders and no tag libraries, so a template can
neither read files nor reach other templates, and its context holds only plain strings and
dicts (never model instances whose relations could be walked). Output is autoescaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.template import Context, Engine, Template
from django.template.defaulttags import DebugNode
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils import translation

from xinfang.core.errors import Msg
from xinfang.documents.choices import DocumentKind
from xinfang.documents.specs import date_zh, fields_display, fields_sample

# Private-use characters cannot come from sample data, so any in the output mark a variable
# the template asked for that the context does not have.
_UNKNOWN = "\ue000%s\ue001"
_UNKNOWN_RE = re.compile("\ue000(.*?)\ue001")
_RENDER_ENGINE = Engine(loaders=[], libraries={}, autoescape=True, string_if_invalid="")
_CHECK_ENGINE = Engine(loaders=[], libraries={}, autoescape=True, string_if_invalid=_UNKNOWN)

# The printed page runs the document under a strict CSP as well; refusing active markup at
# save time gives the editor a clear message instead of a silently broken page.
_ACTIVE_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|link|meta|base|form)\b"
    r"|\son[a-z]+\s*="
    r"|javascript\s*:",
    re.IGNORECASE,
)
_FORBIDDEN_NODES = (IncludeNode, ExtendsNode, DebugNode)

SAMPLE_CASE: dict[str, Any] = {
    "item_number": "430102-2026-000001",
    "title": "（信访事项标题）",
    "content": "（信访事项内容）",
    "received_at": "2026年1月5日",
    "is_collective": False,
}
SAMPLE_PETITIONER: dict[str, Any] = {
    "name": "张三",
    "masked_name": "张*",
    "you": "你",
    "is_anonymous": False,
}


def document_context(
    *,
    kind: DocumentKind,
    number: str,
    title: str,
    issued: date,
    case: Mapping[str, Any],
    petitioner: Mapping[str, Any],
    org_name: str,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything a document template may use. `fields` are worded for print (dates in
    Chinese, outcome names), `values` are the stored codes for `{% if %}` tests."""
    return {
        "doc": {
            "number": number,
            "title": title,
            "kind": str(DocumentKind(kind).label),
            "issue_date": date_zh(issued),
        },
        "case": dict(case),
        "petitioner": dict(petitioner),
        "org": {"name": org_name},
        "fields": fields_display(kind=kind, values=values),
        "values": dict(values),
    }


def sample_context(*, kind: DocumentKind, issued: date) -> dict[str, Any]:
    return document_context(
        kind=kind,
        number="T0000-XX-2026-0001",
        title="（标题）",
        issued=issued,
        case=SAMPLE_CASE,
        petitioner=SAMPLE_PETITIONER,
        org_name="（出具单位）",
        values=fields_sample(kind=kind, issued=issued),
    )


def body_render(*, body: str, context: Mapping[str, Any]) -> str:
    """The document's HTML; raises whatever the template raises (callers refuse to issue)."""
    with translation.override("zh-hans"):
        return _RENDER_ENGINE.from_string(body).render(Context(dict(context)))


def _compile(body: str) -> tuple[Template | None, Msg | None]:
    try:
        return _CHECK_ENGINE.from_string(body), None
    except Exception as exc:  # any failure of editor-written source is a message, not a 500
        return None, Msg(f"模板语法错误：{exc}", f"Template syntax error: {exc}")


def template_problems(*, kind: DocumentKind, body: str, issued: date) -> list[Msg]:
    """Why `body` cannot be the template for `kind` (empty when it can): active markup,
    syntax errors, forbidden tags, failures or unknown variables when rendered on a sample."""
    problems: list[Msg] = []
    if _ACTIVE_MARKUP.search(body):
        problems.append(
            Msg(
                "模板不得包含脚本、框架、表单、事件属性等可执行内容。",
                "Templates may not contain scripts, frames, forms or event attributes.",
            )
        )
    template, error = _compile(body)
    if template is None:
        return [*problems, error] if error else problems
    if any(template.nodelist.get_nodes_by_type(node) for node in _FORBIDDEN_NODES):
        problems.append(
            Msg(
                "模板不得使用 include、extends 或 debug 标签。",
                "Templates may not use the include, extends or debug tags.",
            )
        )
        return problems
    try:
        with translation.override("zh-hans"):
            output = template.render(Context(sample_context(kind=kind, issued=issued)))
    except Exception as exc:  # any failure of editor-written source is a message, not a 500
        return [*problems, Msg(f"模板试渲染失败：{exc}", f"The template failed to render: {exc}")]
    unknown = sorted(set(_UNKNOWN_RE.findall(output)))
    if unknown:
        names = ", ".join(unknown)
        problems.append(
            Msg(f"模板使用了不存在的变量：{names}", f"The template uses unknown variables: {names}")
        )
    return problems
