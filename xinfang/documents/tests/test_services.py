from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from xinfang.cases.tests.factories import make_case
from xinfang.clock.engine import TZ
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors
from xinfang.documents.choices import INTERNAL_KINDS, KIND_SHORT, DocumentKind
from xinfang.documents.models import Document, DocumentTemplate
from xinfang.documents.selectors import template_get_active
from xinfang.documents.services import document_issue, document_serve, template_save
from xinfang.documents.specs import date_zh, required_fields
from xinfang.documents.tests.factories import make_document, valid_fields
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Any:
    return make_bureau("430100")


@pytest.fixture
def case(bureau: Any) -> Any:
    return make_case()


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_renders_its_key_facts(case: Any, kind: DocumentKind) -> None:
    actor = make_staff(org=case.register_org)
    doc = make_document(case=case, kind=kind, actor=actor)
    year = timezone.localdate().year
    assert doc.number == f"{case.register_org.code}-{KIND_SHORT[kind]}-{year}-0001"
    assert doc.number in doc.html
    assert case.item_number in doc.html
    assert case.register_org.name in doc.html
    assert date_zh(timezone.localdate()) in doc.html
    assert doc.title == template_get_active(kind=kind).title
    assert doc.title in doc.html
    # The petitioner is addressed by name; units never see it unmasked.
    assert ("李明" in doc.html) is (kind not in INTERNAL_KINDS)
    if kind == DocumentKind.ASSIGN_NOTICE:
        assert "信访人：李*" in doc.html
    assert doc.is_public is (kind not in INTERNAL_KINDS)
    assert (doc.created_by, doc.case, doc.kind) == (actor, case, kind)
    assert doc.template_version == 1
    assert list(case.documents.all()) == [doc]


@pytest.mark.parametrize(
    ("outcome", "label"), [("support", "支持"), ("explain", "解释说明"), ("reject", "不予支持")]
)
def test_reply_opinion_states_outcome_remedy_organ_and_days(
    case: Any, outcome: str, label: str
) -> None:
    doc = make_document(case=case, kind=DocumentKind.REPLY_OPINION, outcome=outcome, remedy_days=45)
    assert f'处理结果：<strong class="doc-outcome">{label}</strong>' in doc.html
    assert "向长沙市城市管理和综合执法局书面提出复查请求" in doc.html
    assert "收到本意见书之日起45日内" in doc.html
    given = valid_fields(DocumentKind.REPLY_OPINION)
    for name in ("request", "facts", "reasons", "legal_basis"):
        assert given[name] in doc.html
    assert doc.fields["outcome"] == outcome
    assert doc.fields["remedy_days"] == 45


def test_reply_opinion_remedy_days_default_to_thirty(case: Any) -> None:
    doc = make_document(case=case, kind=DocumentKind.REPLY_OPINION)
    assert doc.fields["remedy_days"] == 30
    assert "收到本意见书之日起30日内" in doc.html


def test_extension_notice_gives_reason_and_new_due_date(case: Any) -> None:
    new_due = timezone.localdate() + timedelta(days=25)
    doc = make_document(case=case, kind=DocumentKind.EXTENSION_NOTICE, new_due=new_due)
    assert f"办理期限延长至{date_zh(new_due)}" in doc.html
    assert "需要多部门联合调查。" in doc.html
    assert doc.fields["new_due"] == new_due.isoformat()


def test_dates_accept_datetimes_and_take_the_local_day(case: Any) -> None:
    # 2099-03-01 20:00 UTC is already 2 March in Shanghai.
    new_due = datetime(2099, 3, 1, 20, 0, tzinfo=UTC)
    doc = make_document(case=case, kind=DocumentKind.EXTENSION_NOTICE, new_due=new_due)
    assert doc.fields["new_due"] == "2099-03-02"
    assert "2099年3月2日" in doc.html


def test_divert_notice_records_the_channel(case: Any) -> None:
    doc = make_document(case=case, kind=DocumentKind.DIVERT_NOTICE)
    assert doc.fields["channel"] == "arbitration"
    assert "应当通过仲裁等法定途径解决" in doc.html
    assert "向有管辖权的仲裁机构提出" in doc.html


def test_divert_to_other_organ_must_name_it(case: Any) -> None:
    with pytest.raises(FieldErrors) as exc:
        make_document(case=case, kind=DocumentKind.DIVERT_NOTICE, channel="other_organ")
    assert set(exc.value.errors) == {"target_org_name"}
    doc = make_document(
        case=case, kind=DocumentKind.DIVERT_NOTICE, channel="other_organ", target_org_name="某局"
    )
    assert "向某局提出" in doc.html


def test_supervision_order_names_level_problem_and_feedback_date(case: Any) -> None:
    due = timezone.localdate() + timedelta(days=10)
    doc = make_document(case=case, kind=DocumentKind.SUPERVISION_ORDER, feedback_due=due)
    assert "现予督办" in doc.html
    assert "超过办理期限未出具处理意见。" in doc.html
    assert f"于{date_zh(due)}前" in doc.html
    assert not doc.is_public


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_missing_fields_are_each_named(case: Any, kind: DocumentKind) -> None:
    required = set(required_fields(kind))
    if not required:
        make_document(case=case, kind=kind)  # nothing is required: all have defaults
        return
    with pytest.raises(FieldErrors) as exc:
        document_issue(case=case, kind=kind, org=case.register_org, actor=None, fields={})
    assert set(exc.value.errors) == required
    for messages in exc.value.as_dict().values():
        assert messages[0]["zh"].startswith("请填写")
        assert messages[0]["en"].endswith("is required.")
    assert not Document.objects.exists()


def test_reply_opinion_requires_what_the_law_lists(case: Any) -> None:
    assert set(required_fields(DocumentKind.REPLY_OPINION)) == {
        "request",
        "facts",
        "reasons",
        "outcome",
        "legal_basis",
        "remedy_org",
    }
    assert set(required_fields(DocumentKind.EXTENSION_NOTICE)) == {"reason", "new_due"}
    assert set(required_fields(DocumentKind.SUPERVISION_ORDER)) == {
        "level",
        "target_org_name",
        "problem",
        "feedback_due",
    }


def test_invalid_values_are_all_reported_at_once(case: Any) -> None:
    fields = {
        **valid_fields(DocumentKind.REPLY_OPINION),
        "outcome": "maybe",
        "remedy_days": 0,
        "facts": "   ",
        "reasons": ["not", "text"],
        "colour": "red",
    }
    with pytest.raises(FieldErrors) as exc:
        document_issue(
            case=case,
            kind=DocumentKind.REPLY_OPINION,
            org=case.register_org,
            actor=None,
            fields=fields,
        )
    errors = exc.value.as_dict()
    assert set(errors) == {"outcome", "remedy_days", "facts", "reasons", "colour"}
    assert "support（支持）" in errors["outcome"][0]["zh"]
    assert "1至365" in errors["remedy_days"][0]["zh"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("31/12/2026", "应为日期"), ("2000-01-01", "不能早于签发日期"), (True, "应为日期")],
)
def test_due_dates_must_be_dates_not_in_the_past(case: Any, value: Any, expected: str) -> None:
    with pytest.raises(FieldErrors) as exc:
        make_document(case=case, kind=DocumentKind.EXTENSION_NOTICE, new_due=value)
    assert expected in exc.value.errors["new_due"][0].zh


def test_numbers_are_sequential_per_org_kind_and_year(case: Any) -> None:
    org, other = case.register_org, make_org()
    year = timezone.localdate().year
    numbers = [make_document(case=case).number for _ in range(3)]
    assert numbers == [f"{org.code}-SL-{year}-{n:04d}" for n in (1, 2, 3)]
    assert make_document(case=case, kind=DocumentKind.REPLY_OPINION).number.endswith("-0001")
    assert make_document(case=case, org=other).number == f"{other.code}-SL-{year}-0001"
    with time_machine.travel(datetime(year + 1, 1, 1, 0, 30, tzinfo=TZ)):  # 00:30 local
        assert make_document(case=case).number == f"{org.code}-SL-{year + 1}-0001"
    assert Document.objects.values("number").distinct().count() == Document.objects.count()


def test_refused_issue_uses_no_number(case: Any) -> None:
    with pytest.raises(FieldErrors):
        make_document(case=case, kind=DocumentKind.EXTENSION_NOTICE, new_due="")
    assert make_document(case=case, kind=DocumentKind.EXTENSION_NOTICE).number.endswith("-0001")


def test_template_broken_after_saving_refuses_and_rolls_back_the_number(case: Any) -> None:
    # Written around the service on purpose: a template that breaks only at render time.
    DocumentTemplate.objects.filter(kind=DocumentKind.RECEIPT_NOTICE).update(
        body='{% include "missing.html" %}'
    )
    with pytest.raises(ApplicationError) as exc:
        make_document(case=case)
    assert exc.value.code == "template_broken"
    assert not Document.objects.exists()
    template = DocumentTemplate.objects.get(kind=DocumentKind.RECEIPT_NOTICE)
    template.body = "<p>{{ doc.number }}</p>"
    template_save(template=template, actor=None)
    assert make_document(case=case).number.endswith("-0001")


def test_no_active_template_refuses(case: Any) -> None:
    DocumentTemplate.objects.filter(kind=DocumentKind.RECEIPT_NOTICE).update(is_active=False)
    with pytest.raises(ApplicationError) as exc:
        make_document(case=case)
    assert exc.value.code == "template_missing"


def test_editing_the_template_never_changes_an_issued_document(case: Any) -> None:
    admin = make_staff(org=case.register_org)
    first = make_document(case=case)
    html = first.html
    template = template_get_active(kind=DocumentKind.RECEIPT_NOTICE)
    template.body = "<p>新版本 {{ doc.number }} {{ petitioner.name }}</p>"
    template_save(template=template, actor=admin)
    assert (template.version, template.updated_by) == (2, admin)
    first.refresh_from_db()
    assert first.html == html
    assert first.template_version == 1
    second = make_document(case=case)
    assert second.html == f"<p>新版本 {second.number} 李明</p>"
    assert second.template_version == 2


def test_saving_unchanged_wording_keeps_the_version(case: Any) -> None:
    template = template_get_active(kind=DocumentKind.RECEIPT_NOTICE)
    template.is_active = True
    template_save(template=template, actor=None)
    assert template.version == 1


def test_saving_a_broken_template_is_refused_by_the_service() -> None:
    template = template_get_active(kind=DocumentKind.RECEIPT_NOTICE)
    template.body = "{% if %}"
    with pytest.raises(FieldErrors) as exc:
        template_save(template=template, actor=None)
    assert set(exc.value.errors) == {"body"}
    template.refresh_from_db()
    assert template.version == 1


def test_user_text_is_escaped(bureau: Any) -> None:
    case = make_case(title="<b>标题</b>", content="施工<script>alert(1)</script>扰民")
    doc = make_document(
        case=case, kind=DocumentKind.ASSIGN_NOTICE, requirements='<img src=x onerror="x()">'
    )
    assert "<script>" not in doc.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc.html
    assert "<b>" not in doc.html
    assert "<img" not in doc.html
    assert "&lt;img src=x onerror=&quot;x()&quot;&gt;" in doc.html


def test_multi_line_text_keeps_its_lines(case: Any) -> None:
    doc = make_document(case=case, kind=DocumentKind.REPLY_OPINION, facts="第一行\n第二行")
    assert "第一行<br>第二行" in doc.html


def test_anonymous_petitioner_is_addressed_as_xinfangren(bureau: Any) -> None:
    case = make_case(anonymous=True)
    doc = make_document(case=case)
    assert '<p class="doc-to">信访人：</p>' in doc.html


def test_collective_petition_is_addressed_in_the_plural(bureau: Any) -> None:
    case = make_case()
    type(case).objects.filter(pk=case.pk).update(is_collective=True)
    case.refresh_from_db()
    assert "你们于" in make_document(case=case).html


def test_received_date_is_the_local_day(bureau: Any) -> None:
    # 17:30 UTC on 27 November is 01:30 on 28 November in Shanghai.
    with time_machine.travel(datetime(2026, 11, 27, 17, 30, tzinfo=UTC)):
        case = make_case()
        doc = make_document(case=case)
    assert "你于2026年11月28日提出" in doc.html
    assert doc.number.split("-")[-2] == "2026"


def test_serve_records_the_date_once(case: Any) -> None:
    doc = make_document(case=case)
    served = timezone.now() + timedelta(days=2)
    assert document_serve(document=doc, served_at=served).served_at == served
    doc.refresh_from_db()
    assert doc.served_at == served
    with pytest.raises(Conflict):
        document_serve(document=doc, served_at=served + timedelta(days=1))


def test_serve_cannot_precede_issue(case: Any) -> None:
    doc = make_document(case=case)
    with pytest.raises(FieldErrors) as exc:
        document_serve(document=doc, served_at=doc.created_at - timedelta(days=1))
    assert set(exc.value.errors) == {"served_at"}
    same_day = datetime.combine(timezone.localdate(), datetime.min.time(), tzinfo=TZ)
    assert document_serve(document=doc, served_at=same_day).served_at == same_day


def test_naive_service_time_is_refused(case: Any) -> None:
    doc = make_document(case=case)
    with pytest.raises(FieldErrors):
        document_serve(document=doc, served_at=datetime(2030, 1, 1))  # noqa: DTZ001 - on purpose


def test_receipt_notice_defaults_accepted_on_to_the_issue_date(case: Any) -> None:
    doc = make_document(case=case)
    assert doc.fields["accepted_on"] == timezone.localdate().isoformat()
    assert doc.fields["handling_days"] == 60
    older = make_document(case=case, accepted_on=date(2026, 1, 5))
    assert "本机关已于2026年1月5日予以受理" in older.html
