"""Password step and lock-out, over the real middleware stack and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from xinfang.orgs.models import Org
from xinfang.orgs.permissions import Role
from xinfang.orgs.tests.factories import make_org, make_staff
from xinfang.signin.tests.helpers import LOGIN, LOGOUT, PASSWORD, login

pytestmark = pytest.mark.django_db

# Near the real time: sessions made under the frozen clock must not have expired after it.
T0 = datetime.now(tz=UTC).replace(microsecond=0)


@pytest.fixture
def unit() -> Org:
    return make_org()


def signed_in_as(client: Client) -> str | None:
    user = client.get(LOGIN).wsgi_request.user
    return user.get_username() if user.is_authenticated else None


def test_handler_signs_in_and_lands_on_next(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    response = login(client, handler.username, next="/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/cases/case/"
    assert client.get("/admin/cases/case/").status_code == 200


def test_without_next_lands_on_the_staff_home(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    response = login(client, handler.username)
    assert response["Location"] == "/staff/"
    assert signed_in_as(client) == handler.username


def test_login_page_renders_in_both_languages(client: Client) -> None:
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert "员工登录" in page.content.decode()
    english = client.get(LOGIN, headers={"accept-language": "en"})
    assert english.status_code == 200


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/path", "http://testserver.evil.example/", "///x"],
)
def test_next_must_be_a_local_path(unit: Org, client: Client, target: str) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    response = login(client, handler.username, next=target)
    assert response["Location"] == "/staff/"


def test_wrong_password_and_unknown_user_read_the_same(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    wrong = login(client, handler.username, "not-the-password")
    unknown = login(client, "no-such-user", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "用户名或密码不正确" in wrong.content.decode()
    assert "用户名或密码不正确" in unknown.content.decode()
    assert signed_in_as(client) is None


def test_inactive_account_reads_like_a_wrong_password(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    handler.is_active = False
    handler.save()
    response = login(client, handler.username)
    assert "用户名或密码不正确" in response.content.decode()
    assert signed_in_as(client) is None


def test_locked_after_limit_even_with_right_password_until_cool_off(
    unit: Org, client: Client, settings
) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(limit - 1):
            assert login(client, handler.username, "wrong").status_code == 200
        locked = login(client, handler.username, "wrong")
        assert locked.status_code == 429
        assert "15 分钟后再试" in locked.content.decode()

        clock.shift(timedelta(minutes=14))
        assert login(client, handler.username, PASSWORD).status_code == 429
        assert signed_in_as(client) is None

        clock.shift(timedelta(minutes=1, seconds=1))
        response = login(client, handler.username, PASSWORD)
        assert response.status_code == 302
        assert signed_in_as(client) == handler.username


def test_attempts_while_locked_do_not_extend_the_lock(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            login(client, handler.username, "wrong")
        clock.shift(timedelta(minutes=10))
        assert login(client, handler.username, "wrong").status_code == 429
        clock.shift(timedelta(minutes=5, seconds=1))
        assert login(client, handler.username, PASSWORD).status_code == 302


def test_unknown_usernames_lock_the_same_way(client: Client) -> None:
    for _ in range(4):
        assert login(client, "nobody-here", "guess").status_code == 200
    page = login(client, "nobody-here", "guess")
    assert page.status_code == 429
    assert "nobody-here" not in page.content.decode()


def test_lock_is_per_username_not_per_address(unit: Org, client: Client) -> None:
    """Colleagues behind the same office address are not locked out by one user's typos."""
    clumsy = make_staff(org=unit, role=Role.HANDLER)
    colleague = make_staff(org=unit, role=Role.HANDLER)
    for _ in range(5):
        login(client, clumsy.username, "wrong")
    assert login(client, colleague.username).status_code == 302
    # ...and another address does not get the locked account more guesses.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert login(elsewhere, clumsy.username).status_code == 429


def test_success_resets_the_failure_count(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    for _ in range(4):
        login(client, handler.username, "wrong")
    assert login(client, handler.username).status_code == 302
    client.post(LOGOUT)
    for _ in range(4):
        assert login(client, handler.username, "wrong").status_code == 200


def test_forwarded_address_is_recorded_only_behind_our_proxy(
    unit: Org, client: Client, settings
) -> None:
    from axes.models import AccessAttempt

    client.post(
        LOGIN,
        {"username": "someone-else", "password": "x"},
        headers={"x-forwarded-for": "1.2.3.4, 5.6.7.8"},
    )
    assert AccessAttempt.objects.get(username="someone-else").ip_address == "127.0.0.1"
    settings.XINFANG_TRUST_X_FORWARDED_FOR = True
    client.post(
        LOGIN,
        {"username": "third", "password": "x"},
        headers={"x-forwarded-for": "1.2.3.4, 5.6.7.8"},
    )
    assert AccessAttempt.objects.get(username="third").ip_address == "5.6.7.8"


def test_logout_is_post_only(unit: Org, client: Client) -> None:
    handler = make_staff(org=unit, role=Role.HANDLER)
    login(client, handler.username)
    assert client.get(LOGOUT).status_code == 405
    assert signed_in_as(client) == handler.username
    response = client.post(LOGOUT)
    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None


def test_admin_login_redirects_to_staff_login(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/cases/case/"
    anonymous = client.get("/admin/")
    assert anonymous["Location"].startswith("/admin/login/")
