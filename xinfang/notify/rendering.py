"""Notice texts: Django templates per milestone, medium and language.

`templates/notify/<medium>/<milestone>.<language>.txt` wins over
`templates/notify/common/<milestone>.<language>.txt` (WeChat falls back to the SMS texts first);
a language without its own file falls back to Chinese. The first line of the rendered text is
the subject, the rest the body (SMS and WeChat use the body only). Rendered once, when the
notice is queued, so what is sent is what the outbox shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone, translation

from xinfang.cases.models import Case

FALLBACK_LANGUAGE = "zh-hans"
# Where each medium looks for its text: a WeChat template message is as short as a text message,
# so without texts of its own it uses the SMS ones rather than the e-mail letter.
MEDIUM_FOLDERS: dict[str, tuple[str, ...]] = {"wechat": ("wechat", "sms", "common")}
SUBJECT_MAX = 200


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def template_names(*, milestone: str, medium: str, language: str) -> list[str]:
    names = []
    for lang in dict.fromkeys([language, FALLBACK_LANGUAGE]):
        folders = MEDIUM_FOLDERS.get(medium, (medium, "common"))
        names += [f"notify/{folder}/{milestone}.{lang}.txt" for folder in folders]
    return names


@cache
def text_engine() -> Engine:
    """The project's template folders without HTML escaping: these are plain-text messages
    (a title with quotes or "&" must arrive as typed)."""
    dirs: list[str] = []
    for engine in settings.TEMPLATES:
        dirs += [str(d) for d in cast(list[Any], engine.get("DIRS", []))]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False)


def render_notice(
    *, milestone: str, medium: str, language: str, context: Mapping[str, Any]
) -> Rendered:
    names = template_names(milestone=milestone, medium=medium, language=language)
    template = text_engine().select_template(names)
    with translation.override(language):
        text = template.render(Context(dict(context), autoescape=False)).strip()
    subject, _sep, body = text.partition("\n")
    return Rendered(subject=subject.strip()[:SUBJECT_MAX], body=body.strip())


def site_url(path: str) -> str:
    return f"{settings.XINFANG_SITE_URL.rstrip('/')}{path}"


def tracking_url(*, case: Case) -> str:
    """The public tracking page, already filled in with the case's query code."""
    return site_url(f"{reverse('track')}?{urlencode({'code': case.query_code})}")


def workbench_url(*, case: Case) -> str:
    return site_url(reverse("workbench:case", args=[case.pk]))


def site_domain() -> str:
    return urlsplit(settings.XINFANG_SITE_URL).hostname or "localhost"


def data_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """The template fields as plain strings (WeChat template messages take only text)."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, datetime):
            out[name] = timezone.localtime(value).strftime("%Y-%m-%d")
        elif value is not None and value != "":
            out[name] = str(value)
    return out
