from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.catalog.models import Category, DispatchRule
from xinfang.orgs.models import Region
from xinfang.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_export_then_import_restores_edits(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"categories.{suffix}"
    call_command("refdata", "export", "categories", "-o", str(target), stderr=io.StringIO())
    Category.objects.filter(code="140101").update(name="被误改")
    out = io.StringIO()
    call_command("refdata", "import", "categories", str(target), stdout=out)
    assert Category.objects.get(code="140101").name != "被误改"
    assert "rows imported" in out.getvalue()


def test_dispatch_rules_round_trip_through_excel(tmp_path: Path) -> None:
    lead = make_org(region_code="430102", name="区住建局")
    DispatchRule.objects.create(
        category=Category.objects.get(code="010000"),
        region=Region.objects.get(code="430102"),
        lead_org=lead,
    )
    target = tmp_path / "dispatch.xlsx"
    call_command("refdata", "export", "dispatch", "-o", str(target), stderr=io.StringIO())
    DispatchRule.objects.all().delete()
    call_command("refdata", "import", "dispatch", str(target), stdout=io.StringIO())
    assert DispatchRule.objects.get().lead_org == lead


def test_a_bad_row_rejects_the_whole_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,parent\n990101,新分类,3,999900\n010101,坏行,3,nope\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="row 2") as exc:
        call_command("refdata", "import", "categories", str(bad))
    assert exc.value.returncode == 2
    assert not Category.objects.filter(code="990101").exists()
    assert Category.objects.get(code="010101").name == "事故处理"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "categories"], "needs a file"),
        (["import", "categories", "/nonexistent.csv"], "no such file"),
        (["export", "categories", "-o", "x.pdf"], "unsupported format"),
    ],
)
def test_usage_errors_exit_with_code_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as exc:
        call_command("refdata", *args)
    assert exc.value.returncode == 2
