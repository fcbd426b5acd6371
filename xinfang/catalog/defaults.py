"""Default reference data: the 3-level content catalogue, time limits and petition types.

Installed by a data migration so every database starts usable; all of it stays editable in
the admin. Functions take the model classes so the migration can pass historical models.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

TAXONOMY_CSV = Path(__file__).resolve().parent.parent / "data" / "catalog" / "taxonomy.csv"

# (code, name, amount, unit, legal basis)
DEADLINE_PROFILES: list[tuple[str, str, int, str, str]] = [
    ("route-15d", "信访部门转送交办", 15, "calendar_day", "信访工作条例第22条"),
    ("notice-15d", "书面告知受理", 15, "calendar_day", "信访工作条例第23条"),
    ("objection-5wd", "提出异议（退回）", 5, "working_day", "信访工作条例第23条第3款"),
    ("handle-60d", "办理并出具意见书", 60, "calendar_day", "信访工作条例第34条"),
    ("extension-30d", "延长办理期限（最多）", 30, "calendar_day", "信访工作条例第34条"),
    ("fast-10wd", "简易办理出具意见", 10, "working_day", "信访事项简易办理办法（试行）"),
    ("reexam-request-30d", "申请复查期限", 30, "calendar_day", "信访工作条例第35条"),
    ("reexam-decide-30d", "复查办理期限", 30, "calendar_day", "信访工作条例第35条"),
    ("review-request-30d", "申请复核期限", 30, "calendar_day", "信访工作条例第36条"),
    ("review-decide-30d", "复核办理期限", 30, "calendar_day", "信访工作条例第36条"),
    ("rehandle-15d", "回访不满意重新办理", 15, "calendar_day", "本系统默认（可配置）"),
    ("objection-decide-3wd", "审核承办单位异议", 3, "working_day", "本系统默认（可配置）"),
    # The 12345 profile (DOMAIN §6.4 default, to be confirmed per jurisdiction).
    ("h12345-sign-2wh", "12345 签收", 2, "working_hour", "12345 默认时限"),
    ("h12345-urgent-24h", "12345 紧急诉求办理", 24, "natural_hour", "12345 默认时限"),
    ("h12345-consult-3wd", "12345 咨询办理", 3, "working_day", "12345 默认时限"),
    ("h12345-help-5wd", "12345 求助办理", 5, "working_day", "12345 默认时限"),
    ("h12345-handle-15wd", "12345 投诉举报建议办理", 15, "working_day", "12345 默认时限"),
    ("h12345-rehandle-5wd", "12345 重办", 5, "working_day", "12345 默认时限"),
]

# (code, name, English name, statutory kind, handling profile, description)
PETITION_TYPES: list[tuple[str, str, str, str, str, str]] = [
    (
        "appeal",
        "申诉求决",
        "Complaint or request",
        "appeal",
        "handle-60d",
        "反映自身权益受损、请求解决具体问题",
    ),
    (
        "suggestion",
        "建议意见",
        "Suggestion or opinion",
        "advice",
        "handle-60d",
        "对工作提出意见建议",
    ),
    (
        "accusation",
        "检举控告",
        "Report or accusation",
        "accusation",
        "handle-60d",
        "检举、揭发、控告违纪违法行为（严格保密）",
    ),
    ("consultation", "咨询", "Enquiry", "consultation", "fast-10wd", "咨询政策、办事流程"),
    ("praise", "表扬", "Praise", "praise", "fast-10wd", "表扬、感谢"),
]


def taxonomy_rows(path: Path = TAXONOMY_CSV) -> list[tuple[str, str, int, str | None]]:
    """(code, name, level, parent code) for the 3-level catalogue, codes assigned in file order.

    The source file has names only; codes are 2+2+2 digits in order of first appearance, and
    "其他" at the first level is given 99 as in the national code table ("990000 其它").
    """
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        triples = [tuple(cell.strip() for cell in row[:3]) for row in reader if len(row) >= 3]
    l1: dict[str, str] = {}
    l2: dict[tuple[str, str], str] = {}
    rows: list[tuple[str, str, int, str | None]] = []
    for a, b, c in triples:
        if a not in l1:
            l1[a] = "99" if a.startswith("其他") or a.startswith("其它") else f"{len(l1) + 1:02d}"
            rows.append((f"{l1[a]}0000", a, 1, None))
        if (a, b) not in l2:
            n = sum(1 for key in l2 if key[0] == a) + 1
            l2[(a, b)] = f"{l1[a]}{n:02d}"
            rows.append((f"{l2[(a, b)]}00", b, 2, f"{l1[a]}0000"))
        n3 = sum(1 for r in rows if r[3] == f"{l2[(a, b)]}00") + 1
        rows.append((f"{l2[(a, b)]}{n3:02d}", c, 3, f"{l2[(a, b)]}00"))
    if "990000" not in {r[0] for r in rows}:
        rows += [
            ("990000", "其他", 1, None),
            ("999900", "其他", 2, "990000"),
            ("999999", "其他", 3, "999900"),
        ]
    return rows


def install_categories(category_model: Any, rows: list[tuple[str, str, int, str | None]]) -> int:
    by_code: dict[str, Any] = {}
    for code, name, level, parent in rows:
        obj, _ = category_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": by_code.get(parent) if parent else None,
            },
        )
        by_code[code] = obj
    return len(rows)


def install_profiles(profile_model: Any) -> dict[str, Any]:
    """Create the default time limits that are missing; existing rows keep admin edits."""
    profiles = {}
    for code, name, amount, unit, basis in DEADLINE_PROFILES:
        profiles[code], _ = profile_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "amount": amount, "unit": unit, "legal_basis": basis},
        )
    return profiles


def install_defaults(category_model: Any, profile_model: Any, type_model: Any) -> None:
    install_categories(category_model, taxonomy_rows())
    profiles = install_profiles(profile_model)
    for order, (code, name, name_en, kind, profile, desc) in enumerate(PETITION_TYPES):
        type_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "description": desc,
                "handling_profile": profiles[profile],
                "sort_order": order,
            },
        )
