"""The publication pipeline at service level: who is proposed, what is redacted, and what the
moderators' steps write (versions, case events, audit entries)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.board.models import Publication, PublicationStatus, PublicationVersion
from xinfang.board.services import (
    publication_approve,
    publication_propose,
    publication_reject,
    publication_withdraw,
    publications_propose_due,
)
from xinfang.board.tasks import publication_propose_task, publications_propose_due_task
from xinfang.board.tests.replied import (
    CONTENT,
    NAME,
    advice_replied_case,
    opinion_issued_case,
)
from xinfang.cases.models import Case, EventKind
from xinfang.cases.services import case_register
from xinfang.cases.tests.factories import make_case
from xinfang.core.errors import ApplicationError, Conflict, FieldErrors
from xinfang.handling.tests.world import World, build_world
from xinfang.orgs.models import OrgKind
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.triage.textnorm import tokenize

PII = ("13907311234", NAME, "湘A12345", "liming@163.com", "王建国")


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def _notes(case: Case, action: str) -> int:
    return case.events.filter(kind=EventKind.NOTE, payload__action=action).count()


def _propose(w: World, **overrides: Any) -> Publication:
    publication = publication_propose(case=opinion_issued_case(w, **overrides))
    assert publication is not None
    return publication


def test_a_replied_case_with_consent_is_proposed_redacted(world: World) -> None:
    case = opinion_issued_case(world)
    publication = publication_propose(case=case)
    assert publication is not None
    assert publication.status == PublicationStatus.PENDING
    assert (publication.region_code, publication.unit) == ("430102", world.housing)
    assert publication.is_replied
    assert publication.received_at == case.received_at
    assert publication.replied_at == case.documents.get(kind="reply_opinion").created_at
    # Nothing is public yet: the row's own text stays empty until approval.
    assert (publication.title, publication.content, publication.search_text) == ("", "", "")
    version = publication.versions.get()
    assert version.number == 1
    assert version.created_by is None
    for value in PII:
        assert value not in version.content + version.reply + version.title
    assert version.content == (
        "我叫[姓名]，住在3栋2单元501。车牌[车牌号]的渣土车每晚十点后施工，"
        "请回电[手机号]或发邮件到[邮箱]。"
    )
    assert "项目负责人[姓名]经理" in version.reply
    assert "12345热线" in version.reply  # the hotline is no personal data
    assert "《噪声污染防治法》" in version.reply
    assert "要求查处" not in version.reply  # the request repeats the petition: left out
    assert version.redactions == {"name": 3, "plate": 1, "phone": 1, "email": 1}
    assert _notes(case, "propose") == 1


def test_proposing_twice_adds_nothing(world: World) -> None:
    case = opinion_issued_case(world)
    first = publication_propose(case=case)
    second = publication_propose(case=case)
    assert first is not None
    assert second is not None
    assert first.pk == second.pk
    assert PublicationVersion.objects.filter(publication=first).count() == 1
    assert _notes(case, "propose") == 1


def test_the_category_is_the_first_level_one(world: World) -> None:
    from xinfang.catalog.models import Category

    leaf = Category.objects.filter(level=3).select_related("parent__parent").first()
    assert leaf is not None
    case = opinion_issued_case(world)
    Case.objects.filter(pk=case.pk).update(category=leaf)
    case.refresh_from_db()
    publication = publication_propose(case=case)
    assert publication is not None
    assert publication.category == leaf.parent.parent


def test_no_consent_no_reply_or_accusation_is_never_proposed(world: World) -> None:
    w = world
    assert publication_propose(case=opinion_issued_case(w, consent_publish=False)) is None
    registered = case_register(case=make_case(), actor=w.registrar)
    assert publication_propose(case=registered) is None
    # Even with the flag forced on, an accusation or a confidential item stays off the board.
    accusation = make_case(petition_type="accusation", accused_person="赵刚")
    assert not accusation.consent_publish  # intake already refuses the consent
    Case.objects.filter(pk=accusation.pk).update(consent_publish=True, status="opinion_issued")
    accusation.refresh_from_db()
    assert publication_propose(case=accusation) is None
    secret = opinion_issued_case(w)
    Case.objects.filter(pk=secret.pk).update(is_confidential_accusation=True)
    secret.refresh_from_db()
    assert publication_propose(case=secret) is None
    assert not Publication.objects.exists()


def test_an_anonymous_petition_may_be_published(world: World) -> None:
    publication = _propose(world, anonymous=True)
    assert publication.status == PublicationStatus.PENDING


def test_an_advice_reply_is_the_closing_answer(world: World) -> None:
    case = advice_replied_case(world, reply="感谢您的建议，联系人刘志强主任电话0731-84567890。")
    publication = publication_propose(case=case)
    assert publication is not None
    version = publication.versions.get()
    assert version.reply == "感谢您的建议，联系人[姓名]主任电话[电话]。"


def test_the_sweep_proposes_due_cases_once(world: World) -> None:
    due = opinion_issued_case(world)
    opinion_issued_case(world, consent_publish=False)
    case_register(case=make_case(), actor=world.registrar)
    assert publications_propose_due() == 1
    assert publications_propose_due() == 0
    assert Publication.objects.get().case == due


def test_the_jobs_run_the_services(world: World) -> None:
    case = opinion_issued_case(world)
    assert publication_propose_task.enqueue(case_id=case.pk).return_value is True
    assert publication_propose_task.enqueue(case_id=0).return_value is False
    opinion_issued_case(world)
    assert publications_propose_due_task.enqueue().return_value == 1


def test_approval_publishes_the_version_with_search_words(world: World) -> None:
    publication = _propose(world)
    version = publication.versions.get()
    row = publication_approve(publication=publication, actor=world.supervisor)
    assert row.status == PublicationStatus.PUBLISHED
    assert row.published_at is not None
    assert (row.title, row.content, row.reply, row.version) == (
        version.title,
        version.content,
        version.reply,
        1,
    )
    assert row.search_text == " ".join(
        tokenize(f"{version.title} {version.content} {version.reply}")
    )
    version.refresh_from_db()
    assert (version.approved_by, version.approved_at) == (world.supervisor, row.published_at)
    assert _notes(row.case, "approve") == 1
    audit = AuditEntry.objects.filter(action=AuditAction.CASE_ACTION, object_id=str(row.case_id))
    assert audit.filter(actor=world.supervisor, actor_org=world.bureau).count() == 1
    page = Client().get(f"/board/{row.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for value in PII:
        assert value not in html


def test_edits_make_a_new_version(world: World) -> None:
    publication = _propose(world)
    row = publication_approve(
        publication=publication,
        actor=world.supervisor,
        title="夜间施工噪音扰民",
        content="某工地每晚十点后施工。",
        note="删去住址",
    )
    assert (row.version, row.title, row.content) == (
        2,
        "夜间施工噪音扰民",
        "某工地每晚十点后施工。",
    )
    v2 = row.versions.get(number=2)
    assert (v2.created_by, v2.note, v2.approved_by) == (
        world.supervisor,
        "删去住址",
        world.supervisor,
    )
    assert v2.reply == row.versions.get(number=1).reply  # untouched field carried over
    assert row.versions.get(number=1).approved_at is None


@pytest.mark.parametrize(
    ("field", "text", "what"),
    [
        ("content", "请回电139 0731 1234。", "电话号码"),
        ("reply", "经查，李明反映属实。", "姓名"),  # the petitioner's name, known from the case
        ("title", "湘A12345渣土车扰民", "车牌号"),
    ],
)
def test_edits_that_put_personal_data_back_are_refused(
    world: World, field: str, text: str, what: str
) -> None:
    publication = _propose(world)
    with pytest.raises(FieldErrors) as caught:
        publication_approve(publication=publication, actor=world.supervisor, **{field: text})
    assert list(caught.value.errors) == [field]
    assert what in caught.value.errors[field][0].zh
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING
    assert publication.versions.count() == 1
    assert _notes(publication.case, "approve") == 0


def test_an_accusation_is_refused_even_if_it_reached_the_queue(world: World) -> None:
    case = make_case(petition_type="accusation", accused_person="赵刚", consent_publish=True)
    Case.objects.filter(pk=case.pk).update(consent_publish=True)  # a bug or a bad import
    publication = Publication.objects.create(
        case=case, region_code=case.region.code, received_at=case.received_at
    )
    PublicationVersion.objects.create(
        publication=publication, number=1, title="t", content="c", created_at=case.received_at
    )
    with pytest.raises(ApplicationError) as caught:
        publication_approve(publication=publication, actor=world.supervisor)
    assert caught.value.code == "not_publishable"
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PENDING
    assert (publication.content, publication.search_text) == ("", "")


def test_only_the_regions_supervisors_moderate(world: World) -> None:
    w = world
    publication = _propose(w)
    other_bureau = make_org(kind=OrgKind.PETITION_BUREAU, region_code="430103", name="天心区信访局")
    other = make_staff(org=other_bureau, role=Role.BUREAU_SUPERVISOR)
    for actor in (w.registrar, w.handler, w.leader, other):
        with pytest.raises(ApplicationError) as caught:
            publication_approve(publication=publication, actor=actor)
        assert caught.value.code in ("forbidden", "not_found")
    city = make_staff(org=w.city_gov, role=Role.BUREAU_SUPERVISOR)  # the city's covers the county
    assert publication_approve(publication=publication, actor=city).status == "published"


def test_reject_needs_a_reason_and_keeps_the_record(world: World) -> None:
    publication = _propose(world)
    with pytest.raises(FieldErrors):
        publication_reject(publication=publication, actor=world.supervisor, reason=" ")
    row = publication_reject(publication=publication, actor=world.supervisor, reason="涉及隐私")
    assert row.status == PublicationStatus.REJECTED
    assert row.versions.count() == 1
    event = row.case.events.get(kind=EventKind.NOTE, payload__action="reject")
    assert (event.actor, event.reason, event.is_public) == (world.supervisor, "涉及隐私", False)
    assert event.payload["publication"] == row.pk
    with pytest.raises(Conflict):
        publication_approve(publication=row, actor=world.supervisor)
    # A later run of the sweep leaves a moderator's decision alone.
    assert publication_propose(case=row.case) == row
    assert row.versions.count() == 1


def test_takedown_hides_the_page_at_once_and_keeps_versions(world: World) -> None:
    publication = publication_approve(publication=_propose(world), actor=world.supervisor)
    assert Client().get(f"/board/{publication.pk}/").status_code == 200
    with pytest.raises(Conflict):
        publication_reject(publication=publication, actor=world.supervisor, reason="x")
    row = publication_withdraw(
        publication=publication, actor=world.supervisor, reason="信访人申请撤下"
    )
    assert (row.status, row.search_text) == (PublicationStatus.WITHDRAWN, "")
    assert Client().get(f"/board/{row.pk}/").status_code == 404
    assert row.versions.count() == 1
    assert row.versions.get().approved_at is not None
    assert _notes(row.case, "withdraw") == 1
    with pytest.raises(Conflict):
        publication_withdraw(publication=row, actor=world.supervisor, reason="again")


def test_a_case_can_be_built_in_this_module_without_the_world_fixture(db: Any) -> None:
    """build_world installs what intake needs; the helpers rely on nothing else."""
    w = build_world()
    assert CONTENT in opinion_issued_case(w).content
