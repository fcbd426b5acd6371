"""Export in the import's format, round trips, and the staff upload/download pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.cases.models import Case, Channel
from xinfang.handling.tests.world import World
from xinfang.hotline.tests.helpers import HEADER, order, read_xlsx, write_csv
from xinfang.hotline.tests.test_entry import as_user, call
from xinfang.hotline.tests.test_import import GOOD, run
from xinfang.orgs.tests.factories import make_bureau

pytestmark = pytest.mark.django_db


def export(tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"export.{fmt}"
    call_command("hotline_export", str(out), "--format", fmt, *extra, stdout=io.StringIO())
    return out


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def count() -> int:
    return Case.objects.filter(channel=Channel.HOTLINE).count()


def expected(o: dict[str, str]) -> list[str]:
    """How an order reads after a trip through the system: a missing title is the content's
    beginning, a caller without name or phone is 匿名, a region is written by its name."""
    row = dict(o)
    row["问题属地"] = {"430102": "芙蓉区"}.get(row["问题属地"], row["问题属地"])
    row["标题"] = row["标题"] or row["诉求内容"][:30]
    if not row["来电人"] and not row["来电号码"]:
        row["来电人"], row["地址"] = "匿名", ""
    return [row[h] for h in HEADER]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trips(world: World, tmp_path: Path, fmt: str) -> None:
    assert run(write_csv(tmp_path / "orders.csv", GOOD))[0] == 0
    out = export(tmp_path, fmt)
    rows = csv_rows(out) if fmt == "csv" else [[str(c or "") for c in r] for r in read_xlsx(out)]
    assert rows[0] == HEADER
    assert rows[1:] == [expected(o) for o in GOOD]
    # The exported file is the same work orders: importing it stores nothing new.
    code, text, _ = run(out)
    assert code == 0
    assert "already imported: 3" in text
    assert count() == 3


def test_a_call_from_the_entry_screen_exports_under_its_item_number(
    world: World, tmp_path: Path
) -> None:
    assert as_user(world.registrar).post("/staff/hotline/", call()).status_code == 302
    case = Case.objects.get(channel=Channel.HOTLINE)
    out = export(tmp_path, "csv")
    assert csv_rows(out)[1][0] == case.item_number
    code, text, _ = run(out)
    assert code == 0
    assert "already imported: 1" in text
    assert count() == 1


def test_export_window_by_call_time(world: World, tmp_path: Path) -> None:
    orders = [order("W-1", 来电时间="2026-11-01 10:00"), order("W-2", 来电时间="2026-11-03 10:00")]
    assert run(write_csv(tmp_path / "o.csv", orders))[0] == 0
    out = export(tmp_path, "csv", "--since", "2026-11-02", "--until", "2026-11-04")
    assert [r[0] for r in csv_rows(out)[1:]] == ["W-2"]


def upload(client: Client, path: Path, **options: str) -> object:
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes()), **options}
    return client.post("/staff/hotline/import/", data)


def test_the_upload_page_reports_rows_and_imports_nothing_of_a_bad_file(
    world: World, tmp_path: Path
) -> None:
    agent = as_user(world.registrar)
    bad = write_csv(tmp_path / "bad.csv", [order("U-1"), order("U-2", 诉求内容="")], encoding="gbk")
    page = upload(agent, bad)
    assert page.status_code == 400  # type: ignore[attr-defined]
    html = page.content.decode()  # type: ignore[attr-defined]
    assert "未导入任何工单" in html
    assert "诉求内容" in html
    assert count() == 0
    report = agent.get("/staff/hotline/import/errors.csv")
    assert report["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["3", "诉求内容", "不能为空"]
    # Dry run: checked, nothing stored; partial: the good row goes in.
    assert upload(agent, bad, dry_run="on").status_code == 400  # type: ignore[attr-defined]
    assert count() == 0
    assert upload(agent, bad, partial="on").status_code == 200  # type: ignore[attr-defined]
    assert count() == 1


def test_the_staff_download_is_scoped_and_audited(world: World, tmp_path: Path) -> None:
    make_bureau("430103")  # 天心区: another county's bureau registers its calls
    elsewhere = order("TX-0001", 问题属地="天心区", 地址="天心区某某路2号")
    assert run(write_csv(tmp_path / "o.csv", [*GOOD, elsewhere]))[0] == 0
    agent = as_user(world.registrar)
    response = agent.get("/staff/hotline/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(GOOD)  # 芙蓉区's registrar: not 天心区's call
    assert not any("TX-0001" in line or "天心区" in line for line in lines)
    entry = AuditEntry.objects.filter(action=AuditAction.IDENTITY_EXPORT).latest("seq")
    assert entry.actor == world.registrar
    assert entry.detail["count"] == len(GOOD)
    xlsx = agent.get("/staff/hotline/export/", {"format": "xlsx"})
    assert xlsx.content.startswith(b"PK")
    assert as_user(world.handler).get("/staff/hotline/export/").status_code == 403


def test_the_upload_page_refuses_a_bad_mapping(world: World, tmp_path: Path) -> None:
    agent = as_user(world.registrar)
    good = write_csv(tmp_path / "o.csv", GOOD)
    page = agent.post(
        "/staff/hotline/import/",
        {
            "file": SimpleUploadedFile(good.name, good.read_bytes()),
            "mapping": SimpleUploadedFile("m.json", b'{"columns": {"content": null}}'),
        },
    )
    assert page.status_code == 400
    assert "必需字段 content" in page.content.decode()
    assert count() == 0


FORMULA_TITLE = '=HYPERLINK("http://evil.example/","点我查看")'
DASH_CONTENT = "-小区门口路灯坏了一个多月，夜间出行很不安全，请尽快维修。"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_that_looks_like_a_formula_is_exported_as_text_and_round_trips(
    world: World, tmp_path: Path, fmt: str
) -> None:
    orders = [order("F-1", 标题=FORMULA_TITLE, 诉求内容=DASH_CONTENT)]
    assert run(write_csv(tmp_path / "orders.csv", orders))[0] == 0
    case = Case.objects.get(channel=Channel.HOTLINE)
    assert (case.title, case.content) == (FORMULA_TITLE, DASH_CONTENT)
    out = export(tmp_path, fmt)
    title, content = HEADER.index("标题") + 1, HEADER.index("诉求内容") + 1
    if fmt == "csv":
        # Excel would run a cell starting with "=", "+", "-" or "@": a quote makes it text.
        row = csv_rows(out)[1]
        assert (row[title - 1], row[content - 1]) == (f"'{FORMULA_TITLE}", f"'{DASH_CONTENT}")
    else:
        sheet = load_workbook(out).worksheets[0]
        for column, text in ((title, FORMULA_TITLE), (content, DASH_CONTENT)):
            cell = sheet.cell(row=2, column=column)
            assert (cell.data_type, cell.value) == ("s", text)
    # Read back unchanged: the same work order, so nothing new and no "changed" error.
    code, text, err = run(out)
    assert code == 0, text + err
    assert "already imported: 1" in text
    assert count() == 1


def test_an_upload_is_audited_with_its_file_and_the_agent(world: World, tmp_path: Path) -> None:
    agent = as_user(world.registrar)
    assert upload(agent, write_csv(tmp_path / "day.csv", GOOD)).status_code == 200  # type: ignore[attr-defined]
    entry = AuditEntry.objects.get(action=AuditAction.CASE_ACTION, object_type="hotline.import")
    assert entry.actor == world.registrar
    detail = entry.detail
    assert (detail["file"], detail["rows"], detail["created"]) == ("day.csv", 3, 3)
