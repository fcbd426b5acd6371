"""The account admin: secrets are typed in, stored encrypted, never shown back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from xinfang.wechat.models import WechatAccount
from xinfang.wechat.tests.helpers import AES_KEY, SECRET, TOKEN

pytestmark = pytest.mark.django_db


def form(account: WechatAccount, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": account.code,
        "name": "长沙市信访局公众号",
        "appid": account.appid,
        "app_secret": "",
        "token": "",
        "encoding_aes_key": "",
        "compatible_mode": "",
        "region": account.region_id,
        "org": "",
        "templates": '{"received": "TPL-1"}',
        "is_active": "on",
    }
    return data | overrides


def test_secrets_are_encrypted_and_never_shown(admin_client: Any, account: WechatAccount) -> None:
    page = admin_client.get(f"/admin/wechat/wechataccount/{account.pk}/change/").content.decode()
    assert SECRET not in page
    assert TOKEN not in page
    assert AES_KEY not in page
    assert "/wechat/cs/" in page  # the server URL to enter in WeChat's console
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_secret, token, encoding_aes_key FROM wechat_wechataccount")
        stored = cursor.fetchone()
    assert SECRET not in stored[0]
    assert TOKEN not in stored[1]
    assert AES_KEY not in stored[2]


def test_blank_secrets_keep_the_stored_ones(admin_client: Any, account: WechatAccount) -> None:
    url = f"/admin/wechat/wechataccount/{account.pk}/change/"
    response = admin_client.post(url, form(account))
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert (account.name, account.app_secret, account.token) == (
        "长沙市信访局公众号",
        SECRET,
        TOKEN,
    )
    assert account.encoding_aes_key == AES_KEY
    assert account.templates == {"received": "TPL-1"}


def test_a_wrong_length_aes_key_is_refused(admin_client: Any, account: WechatAccount) -> None:
    url = f"/admin/wechat/wechataccount/{account.pk}/change/"
    response = admin_client.post(url, form(account, encoding_aes_key="short"))
    assert response.status_code == 200
    assert "encoding_aes_key" in response.context["adminform"].form.errors


def test_the_code_cannot_change_after_creation(admin_client: Any, account: WechatAccount) -> None:
    # Contact addresses are "<code>/<openid>": a new code would orphan every follower.
    url = f"/admin/wechat/wechataccount/{account.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="code"' not in page
    response = admin_client.post(url, form(account, code="renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.code == "cs"
    assert account.name == "长沙市信访局公众号"  # the rest of the form was saved


def test_a_new_account_chooses_its_code(admin_client: Any, account: WechatAccount) -> None:
    assert 'name="code"' in admin_client.get("/admin/wechat/wechataccount/add/").content.decode()
    data = form(account, code="yy", appid="wx00000000000000ff", app_secret="s", token="t")
    data |= {"encoding_aes_key": AES_KEY, "compatible_mode": "on"}
    response = admin_client.post("/admin/wechat/wechataccount/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = WechatAccount.objects.get(code="yy")
    assert created.compatible_mode
