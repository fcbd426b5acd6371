from __future__ import annotations

from typing import Any

import pytest

from xinfang.cases.models import AccessRelation, CaseAccess
from xinfang.cases.tests.factories import make_case
from xinfang.documents.choices import DocumentKind
from xinfang.documents.selectors import document_get_for_user, document_list_for_case
from xinfang.documents.tests.factories import make_document
from xinfang.orgs.tests.factories import make_bureau, make_org, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def case() -> Any:
    make_bureau("430100")
    return make_case()


def test_list_for_case_in_issue_order_and_public_only(
    case: Any, django_assert_num_queries: Any
) -> None:
    receipt = make_document(case=case)
    assign = make_document(case=case, kind=DocumentKind.ASSIGN_NOTICE)
    reply = make_document(case=case, kind=DocumentKind.REPLY_OPINION)
    make_document(case=make_case())  # another case's
    with django_assert_num_queries(1):
        docs = list(document_list_for_case(case=case))
        assert [d.org.name for d in docs]  # the issuing unit comes with the row
    assert docs == [receipt, assign, reply]
    assert list(document_list_for_case(case=case, public_only=True)) == [receipt, reply]


def test_get_for_user_goes_through_the_case_scope(case: Any) -> None:
    doc = make_document(case=case)
    insider = make_staff(org=case.register_org)
    outsider_org = make_org(region_code="430200")
    outsider = make_staff(org=outsider_org)
    found = document_get_for_user(user=insider, document_id=doc.pk)
    assert found == doc
    assert found.case == case
    assert document_get_for_user(user=outsider, document_id=doc.pk) is None
    assert document_get_for_user(user=insider, document_id=doc.pk + 1000) is None
    # A unit given access to the case (e.g. the lead handler) sees its documents too.
    CaseAccess.objects.create(case=case, org=outsider_org, relation=AccessRelation.LEAD)
    assert document_get_for_user(user=outsider, document_id=doc.pk) == doc


def test_anonymous_user_sees_nothing(case: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    doc = make_document(case=case)
    assert document_get_for_user(user=AnonymousUser(), document_id=doc.pk) is None
