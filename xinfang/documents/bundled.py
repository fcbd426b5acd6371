"""The default wording of every kind of document, shipped as files in defaults/.

Installed by a data migration so a new database can issue documents at once; admins then
edit them. Takes the model class so the migration can pass its historical model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"

# kind → title; kinds are spelt out (not imported) because migrations must not change meaning
# when the choices module does.
DEFAULT_TITLES: dict[str, str] = {
    "receipt_notice": "信访事项受理告知书",
    "not_accepted_notice": "信访事项不予受理告知书",
    "redirect_notice": "信访事项告知书",
    "divert_notice": "信访事项导入法定程序告知书",
    "forward_notice": "信访事项转送告知书",
    "assign_notice": "信访事项交办通知",
    "extension_notice": "信访事项延期办理告知书",
    "reply_opinion": "信访事项处理意见书",
    "reexam_opinion": "信访事项复查意见书",
    "review_opinion": "信访事项复核意见书",
    "supervision_order": "信访事项督办单",
}


def default_body(kind: str) -> str:
    return (DEFAULTS_DIR / f"{kind}.html").read_text(encoding="utf-8")


def install(template_model: Any) -> int:
    """Add the zh-hans default of every kind that has no template yet; returns how many.
    Never overwrites a template an admin has edited."""
    created = 0
    for kind, title in DEFAULT_TITLES.items():
        _, made = template_model.objects.get_or_create(
            kind=kind,
            language="zh-hans",
            defaults={"title": title, "body": default_body(kind), "is_active": True},
        )
        created += int(made)
    return created
