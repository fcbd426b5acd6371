"""WeChat template messages as a notify back-end (medium "wechat").

The address is "<account code>/<openid>"; the account's `templates` map gives the template id
for the notice's milestone (Outgoing.template). WeChat answers every call with an errcode: the
ones that say this follower or this template can never receive the message are permanent
(the outbox stops), everything else (busy, rate limit, network, a token or IP allow-list
problem an administrator can fix) is retried.
"""

from __future__ import annotations

import requests
from wechatpy.exceptions import WeChatClientException

from xinfang.notify.backends import DeliveryError, Outgoing
from xinfang.wechat.client import account_client
from xinfang.wechat.models import WechatAccount

PERMANENT_ERRCODES = frozenset(
    {
        40003,  # invalid openid (not a follower of this account)
        40036,  # invalid template_id size
        40037,  # invalid template_id
        43004,  # the follower unsubscribed
        43101,  # the follower refused messages of this template
        47003,  # template data does not fit the template
    }
)


def _split(address: str) -> tuple[str, str]:
    code, sep, openid = address.partition("/")
    if not (sep and code and openid):
        raise DeliveryError(f"not a WeChat address: {address!r}", permanent=True)
    return code, openid


class TemplateBackend:
    """Sends Outgoing notices as template messages through the follower's account."""

    def send(self, message: Outgoing) -> None:
        code, openid = _split(message.address)
        account = WechatAccount.objects.filter(code=code, is_active=True).first()
        if account is None:
            raise DeliveryError(f"no active WeChat account {code!r}", permanent=True)
        template_id = (account.templates or {}).get(message.template)
        if not template_id:
            raise DeliveryError(
                f"account {code!r} has no template for {message.template!r}", permanent=True
            )
        fields = message.data or {"first": message.subject, "remark": message.body}
        data = {name: {"value": value} for name, value in fields.items()}
        try:
            account_client(account).message.send_template(
                openid, template_id, data, url=message.url or None
            )
        except WeChatClientException as exc:
            permanent = exc.errcode in PERMANENT_ERRCODES
            raise DeliveryError(f"WeChat {exc.errcode}: {exc.errmsg}", permanent=permanent) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"WeChat API unreachable: {exc}") from exc
