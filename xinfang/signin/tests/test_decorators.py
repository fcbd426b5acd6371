"""staff_login_required and its mixin, as the workbench will use them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.views import View

from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.decorators import StaffLoginRequiredMixin, staff_login_required
from xinfang.signin.tests.helpers import make_device

pytestmark = pytest.mark.django_db


@staff_login_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


class Page(StaffLoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")


VIEWS = [page, Page.as_view()]


@pytest.fixture
def unit() -> Org:
    return make_org()


def call(view: Any, user: Any, *, verified: bool = False) -> HttpResponse:
    request = RequestFactory().get("/staff/cases/?tab=mine")
    # What OTPMiddleware installs on a signed-in user.
    user.is_verified = lambda: verified
    request.user = user
    return view(request)


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_goes_to_sign_in_with_next(view: Any) -> None:
    response = call(view, AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/staff/auth/login/?next=/staff/cases/%3Ftab%3Dmine"


@pytest.mark.parametrize("view", VIEWS)
def test_role_without_reveal_passes_on_password_alone(view: Any, unit: Org) -> None:
    assert call(view, make_staff(org=unit, role=Role.HANDLER)).status_code == 200


@pytest.mark.parametrize("view", VIEWS)
def test_leader_needs_code_or_enrolment(view: Any, unit: Org) -> None:
    leader = make_staff(org=unit, role=Role.UNIT_LEADER)
    enrol = call(view, leader)
    assert enrol["Location"] == "/staff/auth/otp/setup/?next=%2Fstaff%2Fcases%2F%3Ftab%3Dmine"
    make_device(leader)
    assert call(view, leader)["Location"].startswith("/staff/auth/otp/?next=")
    assert call(view, leader, verified=True).status_code == 200
