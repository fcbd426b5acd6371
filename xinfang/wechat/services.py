"""Writes for WeChat: answer a message exactly once, and submit the H5 form of a follower."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import requests
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from wechatpy.exceptions import WeChatClientException

from xinfang.cases.models import Channel
from xinfang.cases.services import UploadedFileData
from xinfang.core.errors import Msg
from xinfang.intake.services import Receipt, petition_submit
from xinfang.intake.text import delivery_key
from xinfang.intake.validation import RawFile, check_file
from xinfang.notify.contacts import Contact
from xinfang.notify.models import Medium
from xinfang.wechat.client import account_client
from xinfang.wechat.conversation import Stale, Turn, dispatch
from xinfang.wechat.models import Conversation, Delivery, DraftImage, Step, WechatAccount
from xinfang.wechat.protocol import Inbound
from xinfang.wechat.selectors import follower_address

logger = logging.getLogger(__name__)

# A message races another of the same follower at most a few times (they type, WeChat retries).
_ATTEMPTS = 5
DOWNLOAD_FAILED = Msg("下载失败", "download failed")


def _row_key(inbound: Inbound) -> str:
    """The delivery's key as stored (Delivery.key holds 100 characters): long keys hashed, so
    the row written and the row looked up for a redelivery are always the same."""
    key = inbound.key
    return key if len(key) <= 100 else hashlib.sha256(key.encode()).hexdigest()


def _stored_reply(account: WechatAccount, inbound: Inbound) -> str | None:
    delivery = Delivery.objects.filter(account=account, key=_row_key(inbound)).first()
    return None if delivery is None else delivery.reply


def message_handle(*, account: WechatAccount, inbound: Inbound, form_link: str) -> str:
    """Handle one delivered message or event and return the reply text ("" for none).

    A delivery seen before (WeChat retries the same MsgId up to three times) gets the reply
    stored the first time and changes nothing. The delivery's key row, the conversation step
    and any petition it submits are written in one transaction, so a concurrent redelivery waits
    on the key's unique index and then finds the first one's reply.
    """
    stored = _stored_reply(account, inbound)
    if stored is not None:
        return stored
    # An image is fetched before the transaction: no database lock waits on WeChat's servers.
    image = _prefetch_image(account, inbound)
    for _ in range(_ATTEMPTS):
        try:
            return _handle_once(account, inbound, form_link, image)
        except IntegrityError:
            stored = _stored_reply(account, inbound)
            if stored is not None:
                return stored
            # The follower's first two messages both created the conversation; go again.
        except Stale:
            pass  # another message of this follower moved the conversation first; re-read it
    raise RuntimeError(f"wechat: message {inbound.key} kept racing its conversation")


@transaction.atomic
def _handle_once(
    account: WechatAccount, inbound: Inbound, form_link: str, image: UploadedFileData | Msg | None
) -> str:
    delivery = Delivery.objects.create(account=account, key=_row_key(inbound))
    conv, _ = Conversation.objects.get_or_create(account=account, openid=inbound.openid)
    reply = dispatch(Turn(account, inbound, conv, form_link, image))
    delivery.reply = reply
    delivery.save(update_fields=["reply"])
    return reply


def _prefetch_image(account: WechatAccount, inbound: Inbound) -> UploadedFileData | Msg | None:
    if inbound.kind != "image" or not inbound.media_id:
        return None
    step = (
        Conversation.objects.filter(account=account, openid=inbound.openid)
        .values_list("step", flat=True)
        .first()
    )
    if step != Step.IMAGES:
        return None
    return media_fetch(account=account, media_id=inbound.media_id)


def media_fetch(*, account: WechatAccount, media_id: str) -> UploadedFileData | Msg:
    """A temporary media file from WeChat's server, checked like any upload (type by content,
    size), or why it could not be had."""
    try:
        response = account_client(account).media.download(media_id)
    except (WeChatClientException, requests.RequestException) as exc:
        logger.warning("wechat %s: media %s not downloaded: %s", account.code, media_id, exc)
        return DOWNLOAD_FAILED
    content = getattr(response, "content", b"")
    checked = check_file(RawFile(f"wechat-{media_id[:16]}", content))
    if isinstance(checked, Msg):
        return checked
    extension = checked.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    return UploadedFileData(
        f"微信图片-{media_id[:16]}.{extension}",
        checked.content,
        checked.content_type,
        checked.sha256,
    )


@transaction.atomic
def h5_submit(
    *,
    account: WechatAccount,
    openid: str,
    data: dict[str, Any],
    files: Sequence[UploadedFileData],
    form_token: str,
) -> Receipt:
    """A petition from the H5 form a follower opened from the account: channel wechat, the
    follower's address as contact point, and the conversation's draft consumed (so finishing
    the chat later cannot file the same matter twice)."""
    receipt = petition_submit(
        channel=Channel.WECHAT,
        data=data,
        files=list(files),
        idempotency_key=delivery_key("wechat", account.appid, "h5", openid, form_token),
        contacts=[Contact(Medium.WECHAT, follower_address(account=account, openid=openid))],
    )
    if receipt.created:
        DraftImage.objects.filter(
            conversation__account=account, conversation__openid=openid
        ).delete()
        Conversation.objects.filter(account=account, openid=openid).update(
            step=Step.IDLE, draft_json="", version=F("version") + 1
        )
    return receipt


def wechat_purge(*, delivery_days: int = 2, draft_days: int = 7) -> dict[str, int]:
    """Forget what is no longer needed: answered deliveries older than any redelivery (WeChat
    stops retrying after 15 s) and drafts abandoned for a week (their images are personal data).
    """
    now = timezone.now()
    deliveries, _ = Delivery.objects.filter(
        created_at__lt=now - timedelta(days=delivery_days)
    ).delete()
    stale = Conversation.objects.filter(updated_at__lt=now - timedelta(days=draft_days)).exclude(
        step=Step.IDLE
    )
    images, _ = DraftImage.objects.filter(conversation__in=stale).delete()
    drafts = stale.update(step=Step.IDLE, draft_json="", version=F("version") + 1)
    return {"deliveries": deliveries, "drafts": drafts, "images": images}
