"""12345 files through the importer: real CSV (UTF-8, BOM, GBK) and .xlsx files on disk, the
management command as an operator runs it, and the database afterwards."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.cases.models import Case, Channel
from xinfang.clock.engine import TZ
from xinfang.handling.tests.world import World
from xinfang.hotline.models import Disposition, WorkOrder
from xinfang.hotline.tests.helpers import HEADER, order, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run(*args: Any) -> tuple[int, str, str]:
    """The command's exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("hotline_import", *[str(a) for a in args], stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def hotline_cases() -> list[Case]:
    return list(Case.objects.filter(channel=Channel.HOTLINE).order_by("pk"))


def error_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


GOOD = [
    order("GD2026112000001"),
    order(
        "GD2026112000002",
        诉求类型="咨询",
        标题="",
        诉求内容="请问社保卡丢失后在哪里补办，需要带什么材料？",
    ),
    order("GD2026112000003", 来电人="", 来电号码="", 诉求类型="建议", 问题属地="430102"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_good_csv_makes_one_hotline_petition_per_order(
    world: World, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "orders.csv", GOOD, encoding=encoding)
    code, out, err = run(path)
    assert code == 0, out + err
    assert "created: 3" in out
    assert "3/3" in out  # progress
    cases = hotline_cases()
    assert len(cases) == 3
    assert [c.idempotency_key for c in cases] == [f"12345:{o['工单编号']}" for o in GOOD]
    first, consult, anonymous = cases
    assert first.title == "小区路灯长期不亮"
    assert first.petition_type.code == "appeal"
    assert first.region.code == "430102"
    main = first.petitioners.get()
    assert (main.name, main.phone, main.address) == ("张女士", "13907311234", "芙蓉区某某路1号")
    # No title in the file: the first words of the content stand in for it.
    assert consult.petition_type.code == "consultation"
    assert consult.title == "请问社保卡丢失后在哪里补办，需要带什么材料？"[:30]
    assert anonymous.is_anonymous
    assert anonymous.region.code == "430102"
    orders = {w.number: w for w in WorkOrder.objects.all()}
    assert orders["GD2026112000001"].called_at == datetime(2026, 11, 20, 9, 15, tzinfo=TZ)
    assert orders["GD2026112000001"].demand_type == "投诉"
    assert orders["GD2026112000001"].disposition == Disposition.IMPORTED


def test_an_xlsx_with_excel_dates_and_numbers(world: World, tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {
            **order("x"),
            "工单编号": 2026112000001,
            "来电号码": 13907311234,
            # Excel stores local wall time without a zone.
            "来电时间": datetime(2026, 11, 21, 14, 30),  # noqa: DTZ001
        },
        {**order("x"), "工单编号": "2026112000002", "诉求类型": "求助"},
    ]
    path = write_xlsx(tmp_path / "orders.xlsx", rows)
    code, out, err = run(path)
    assert code == 0, out + err
    numbers = sorted(str(n) for n in WorkOrder.objects.values_list("number", flat=True))
    assert numbers == ["2026112000001", "2026112000002"]
    first = WorkOrder.objects.get(number="2026112000001")
    assert first.called_at == datetime(2026, 11, 21, 14, 30, tzinfo=TZ)
    assert first.case.petitioners.get().phone == "13907311234"


def test_reimporting_the_same_file_creates_nothing(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", GOOD)
    assert run(path)[0] == 0
    code, out, _ = run(path)
    assert code == 0
    assert "created: 0" in out
    assert "already imported: 3" in out
    assert len(hotline_cases()) == 3
    # A changed order under a number already imported is refused before anything is stored.
    changed = [
        order("GD2026112000001", 诉求内容="内容已经被修改过了，与第一次导入的不同。"),
        order("NEW-1"),
    ]
    code, _, err = run(write_csv(tmp_path / "changed.csv", changed))
    assert code == 2
    assert "内容与已导入的不同" in err
    assert len(hotline_cases()) == 3


BAD = [
    order("B-1"),
    order("B-2", 来电时间="昨天上午"),
    order("B-3", 问题属地="火星区"),
    order("B-4", 诉求内容=""),
    order("B-5"),
    order("B-1"),  # the number again
    order("B-7", 问题属地="天心区"),  # no bureau receives for it in this world
]


def test_a_bad_file_imports_nothing_and_lists_each_row(world: World, tmp_path: Path) -> None:
    report = tmp_path / "errors.csv"
    code, _out, err = run(write_csv(tmp_path / "bad.csv", BAD), "--errors", report)
    assert code == 2
    assert "nothing imported" in err
    assert hotline_cases() == []
    errors = error_rows(report)
    by_row = {(int(r[0]), r[1]) for r in errors}
    # Data rows start at line 2 (line 1 is the header).
    assert (3, "来电时间") in by_row
    assert (4, "问题属地") in by_row
    assert (5, "诉求内容") in by_row
    assert (7, "工单编号") in by_row
    assert (8, "问题属地") in by_row
    assert {r[0] for r in errors} == {"3", "4", "5", "7", "8"}
    messages = " ".join(r[2] for r in errors)
    assert "无法识别的时间：昨天上午" in messages
    assert "未知的问题属地：火星区" in messages
    assert "不能为空" in messages
    assert "与第 2 行重复" in messages


def test_partial_imports_the_good_rows(world: World, tmp_path: Path) -> None:
    code, out, _ = run(write_csv(tmp_path / "bad.csv", BAD), "--partial")
    assert code == 1
    assert "created: 2" in out
    assert sorted(str(w.number) for w in WorkOrder.objects.all()) == ["B-1", "B-5"]


def test_a_missing_required_column_is_a_bad_file(world: World, tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "诉求内容"]
    report = tmp_path / "errors.csv"
    path = write_csv(tmp_path / "orders.csv", GOOD, header=header)
    code, _, _err = run(path, "--errors", report, "--partial")
    assert code == 2
    assert error_rows(report) == [["1", "诉求内容", "缺少必需列", "Required column missing"]]
    assert hotline_cases() == []


def test_dry_run_checks_and_stores_nothing(world: World, tmp_path: Path) -> None:
    code, out, _ = run(write_csv(tmp_path / "orders.csv", GOOD), "--dry-run")
    assert code == 0
    assert "would create: 3" in out
    assert hotline_cases() == []
    code, _, _err = run(write_csv(tmp_path / "bad.csv", BAD), "--dry-run")
    assert code == 2
    assert hotline_cases() == []


def test_a_city_mapping_file(world: World, tmp_path: Path) -> None:
    header = ["受理编号", "受理时间", "联系人", "联系电话", "类型", "事项描述", "区域"]
    rows = [
        {
            "受理编号": "CS-1",
            "受理时间": "2026年11月22日 08:05",
            "联系人": "李先生",
            "联系电话": "0731-84512345",
            "类型": "意见",
            "事项描述": "建议在公园增设健身器材和休息座椅。",
            "区域": "高新片区",
        },
    ]
    mapping = tmp_path / "changsha.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "number": "受理编号",
                    "called_at": "受理时间",
                    "caller_name": "联系人",
                    "caller_phone": "联系电话",
                    "demand_type": "类型",
                    "content": "事项描述",
                    "region": "区域",
                    "title": None,
                },
                "demand_types": {"意见": "suggestion"},
                "regions": {"高新片区": "430102"},
                "date_formats": ["%Y年%m月%d日 %H:%M"],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    path = write_csv(tmp_path / "cs.csv", rows, header=header)
    code, out, err = run(path, "--mapping", mapping)
    assert code == 0, out + err
    case = hotline_cases()[0]
    assert (case.petition_type.code, case.region.code) == ("suggestion", "430102")
    assert case.work_order.called_at == datetime(2026, 11, 22, 8, 5, tzinfo=TZ)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "JSON"),
        ('{"colums": {}}', "colums"),
        ('{"columns": {"number": null}}', "number"),
        ('{"columns": {"region": null}}', "default_region"),
    ],
)
def test_a_bad_mapping_exits_2(world: World, tmp_path: Path, content: str, message: str) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text(content, encoding="utf-8")
    code, _, err = run(write_csv(tmp_path / "o.csv", GOOD), "--mapping", mapping)
    assert code == 2
    assert message in err
    assert hotline_cases() == []


def test_an_unreadable_file_exits_2(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "orders.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run(bad)
    assert code == 2
    assert "xlsx" in err
    code, _, err = run(tmp_path / "missing.csv")
    assert code == 2
    assert "cannot read" in err


def test_an_order_without_title_and_a_short_first_line_imports(
    world: World, tmp_path: Path
) -> None:
    content = "您好\n我家楼下的路灯坏了一个多月，晚上出门很不安全，请尽快维修。"
    rows = [
        order("T-1", 标题="", 诉求内容=content),
        order("T-2", 标题="", 诉求类型="", 诉求内容="喂，\n" + content.split("\n")[1]),
    ]
    code, out, err = run(write_csv(tmp_path / "orders.csv", rows))
    assert code == 0, out + err
    first, second = hotline_cases()
    # Too short alone: the demand type (or "来电") under the 12345 name stands before it.
    assert first.title == "12345投诉：您好"
    assert second.title == "12345来电：喂，"


def test_a_work_order_number_that_is_not_ascii_is_keyed_by_its_hash(
    world: World, tmp_path: Path
) -> None:
    assert run(write_csv(tmp_path / "orders.csv", [order("芙蓉-0001")]))[0] == 0
    digest = hashlib.sha256("芙蓉-0001".encode()).hexdigest()
    assert hotline_cases()[0].idempotency_key == f"12345:h:{digest}"


def test_a_mapping_cannot_choose_the_key_prefix(world: World, tmp_path: Path) -> None:
    """Another prefix would make the same orders new petitions on a second import."""
    path = write_csv(tmp_path / "orders.csv", GOOD)
    assert run(path)[0] == 0
    mapping = tmp_path / "m.json"
    mapping.write_text('{"key_prefix": "other"}', encoding="utf-8")
    code, _, err = run(path, "--mapping", mapping)
    assert code == 2
    assert "key_prefix" in err
    assert len(hotline_cases()) == len(GOOD)


def test_each_import_is_audited_once(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", GOOD)
    assert run(path, "--dry-run")[0] == 0
    assert not imports_audited()
    assert run(path)[0] == 0
    assert run(path)[0] == 0
    assert run(write_csv(tmp_path / "bad.csv", BAD))[0] == 2
    first, again, bad = imports_audited()
    assert first.actor is None  # the command line has no signed-in user
    assert first.detail == {
        "kind": "hotline.import",
        "file": "orders.csv",
        "rows": 3,
        "created": 3,
        "existing": 0,
        "rejected": 0,
        "partial": False,
    }
    assert (again.detail["created"], again.detail["existing"]) == (0, 3)
    assert (bad.detail["file"], bad.detail["created"], bad.detail["rejected"]) == ("bad.csv", 0, 5)


def imports_audited() -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(
        action=AuditAction.CASE_ACTION, object_type="hotline.import"
    )
    return list(entries.order_by("seq"))
