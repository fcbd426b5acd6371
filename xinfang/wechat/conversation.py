"""The guided petition conversation: each message moves a follower's draft one step.

type → title → content → region (a location message or a place name, read by the triage
gazetteer) → identity (name and phone, or anonymous: intake requires one or the other) → images
(optional) → confirm. Commands work at any step: 我要信访 (start over), 查询进度, 使用说明, 取消.
Every handler takes a Turn and returns the reply text; state is saved with a compare-and-set
(Stale when another message moved the conversation first; the caller retries).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from xinfang.cases.models import Channel
from xinfang.cases.services import UploadedFileData
from xinfang.cases.workflow import CaseStatus, status_label
from xinfang.catalog.models import PetitionType
from xinfang.catalog.selectors import petition_type_list
from xinfang.core import validators as v
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.intake.services import petition_submit
from xinfang.intake.text import delivery_key
from xinfang.intake.validation import CONTENT_MAX, CONTENT_MIN, TITLE_MAX, TITLE_MIN
from xinfang.notify.contacts import Contact
from xinfang.notify.models import Medium
from xinfang.orgs.models import Region
from xinfang.orgs.selectors import bureau_for_region, region_get
from xinfang.triage.gazetteer import locate_sure
from xinfang.wechat import messages as m
from xinfang.wechat.models import Conversation, DraftImage, Step, WechatAccount
from xinfang.wechat.protocol import Inbound
from xinfang.wechat.selectors import follower_address, follower_cases

MENU_PETITION, MENU_QUERY, MENU_HELP = "XF_PETITION", "XF_QUERY", "XF_HELP"
_START = {"我要信访", "信访", "开始"}
_QUERY = {"查询进度", "查询", "进度"}
_HELP = {"使用说明", "帮助", "说明", "?", "？"}
_CANCEL = {"取消", "退出"}
_DONE = {"完成", "跳过", "没有", "无", "好了"}
_CONFIRM = {"确认", "确认提交", "提交"}
_RESTART = {"重填", "修改"}
_ANONYMOUS = {"匿名"}
_PHONE = re.compile(r"(?:\+?86[\s-]?)?(1\d{10}|0\d{2,3}-?\d{7,8})")
_NAME_NOISE = re.compile(r"姓名|名字|手机号码?|电话|联系方式|[\s:：,，;；。.、/]")
_SUMMARY_CHARS = 60


class Stale(Exception):
    """Another message moved this conversation first."""


@dataclass
class Turn:
    """One message being handled: who, what, the follower's conversation, and what was
    fetched before the transaction (an image's bytes, or why it could not be had)."""

    account: WechatAccount
    inbound: Inbound
    conv: Conversation
    form_link: str
    image: UploadedFileData | Msg | None = None


def _save(conv: Conversation) -> None:
    updated = Conversation.objects.filter(pk=conv.pk, version=conv.version).update(
        step=conv.step,
        draft_json=conv.draft_json,
        subscribed=conv.subscribed,
        version=conv.version + 1,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise Stale
    conv.version += 1


def _move(turn: Turn, step: Step, **answers: Any) -> None:
    turn.conv.step = step
    turn.conv.draft = {**turn.conv.draft, **answers}
    _save(turn.conv)


def _reset(turn: Turn, step: Step = Step.IDLE) -> None:
    DraftImage.objects.filter(conversation=turn.conv).delete()
    turn.conv.step = step
    turn.conv.draft = {}
    _save(turn.conv)


def dispatch(turn: Turn) -> str:
    kind = turn.inbound.kind
    if kind.startswith("event:"):
        return _on_event(turn)
    if kind == "text":
        text = turn.inbound.text.strip()
        command = _COMMANDS.get(text)
        return command(turn) if command else _ON_TEXT[Step(turn.conv.step)](turn, text)
    if kind == "image":
        return _on_image(turn)
    if kind == "location":
        return _on_location(turn)
    return str(m.UNSUPPORTED)


# Commands and events ----------------------------------------------------------------------


def _on_event(turn: Turn) -> str:
    event = turn.inbound.kind.removeprefix("event:")
    if event in ("subscribe", "subscribe_scan"):
        turn.conv.subscribed = True
        _save(turn.conv)
        return str(m.WELCOME)
    if event == "unsubscribe":  # nothing can be sent back; forget the unsent draft
        turn.conv.subscribed = False
        _reset(turn)
        return ""
    if event == "click":
        command = _MENU.get(turn.inbound.event_key)
        return command(turn) if command else ""
    return ""  # menu links, periodic location reports …: nothing to say


def _start(turn: Turn) -> str:
    again = turn.conv.step != Step.IDLE
    _reset(turn, Step.TYPE)
    hours = settings.XINFANG_WECHAT_LINK_MAX_AGE // 3600
    parts = [
        str(m.START_AGAIN) if again else "",
        str(m.START).format(types=_type_menu()),
        str(m.H5_LINK).format(url=turn.form_link, hours=hours),
    ]
    return "\n".join(p for p in parts if p)


def _cancel(turn: Turn) -> str:
    if turn.conv.step == Step.IDLE:
        return str(m.NOTHING_TO_CANCEL)
    _reset(turn)
    return str(m.CANCELLED)


def _help(turn: Turn) -> str:
    return str(m.HELP)


def _query(turn: Turn) -> str:
    cases = follower_cases(account=turn.account, openid=turn.inbound.openid)
    if not cases:
        return str(m.QUERY_NONE)
    lines = [str(m.QUERY_HEAD).format(n=len(cases))]
    for i, case in enumerate(cases, 1):
        status = status_label(CaseStatus(case.status))
        lines.append(
            str(m.QUERY_LINE).format(
                i=i,
                item=case.item_number,
                title=case.title[:20],
                date=timezone.localtime(case.received_at).strftime("%Y-%m-%d"),
                status=status,
            )
        )
    return "\n".join(lines)


_COMMANDS: dict[str, Callable[[Turn], str]] = {
    **dict.fromkeys(_START, _start),
    **dict.fromkeys(_QUERY, _query),
    **dict.fromkeys(_HELP, _help),
    **dict.fromkeys(_CANCEL, _cancel),
}
_MENU: dict[str, Callable[[Turn], str]] = {
    MENU_PETITION: _start,
    MENU_QUERY: _query,
    MENU_HELP: _help,
}


# Steps ------------------------------------------------------------------------------------


def _types() -> list[PetitionType]:
    return list(petition_type_list().order_by("sort_order", "code"))


def _type_menu() -> str:
    return "\n".join(f"{i}. {t.name}" for i, t in enumerate(_types(), 1))


def _on_idle(turn: Turn, text: str) -> str:
    return str(m.IDLE_HINT)


def _on_type(turn: Turn, text: str) -> str:
    types = _types()
    chosen = next(
        (t for i, t in enumerate(types, 1) if text in (str(i), t.name, t.code)),
        None,
    )
    if chosen is None:
        return str(m.TYPE_ASK).format(types=_type_menu())
    _move(turn, Step.TITLE, petition_type=chosen.code, type_name=chosen.name)
    return str(m.TITLE_ASK).format(min=TITLE_MIN, max=TITLE_MAX)


def _on_title(turn: Turn, text: str) -> str:
    if not TITLE_MIN <= len(text) <= TITLE_MAX:
        return str(m.TITLE_LENGTH).format(min=TITLE_MIN, max=TITLE_MAX)
    _move(turn, Step.CONTENT, title=text)
    return str(m.CONTENT_ASK).format(min=CONTENT_MIN, max=CONTENT_MAX)


def _on_content(turn: Turn, text: str) -> str:
    if not CONTENT_MIN <= len(text) <= CONTENT_MAX:
        return str(m.CONTENT_LENGTH).format(min=CONTENT_MIN, max=CONTENT_MAX)
    _move(turn, Step.REGION, content=text)
    return str(m.REGION_ASK)


def _on_region(turn: Turn, text: str) -> str:
    found = region_from_text(account=turn.account, text=text)
    if not isinstance(found, Region):
        return found
    _move(turn, Step.IDENTITY, region_code=found.code, region_name=found.full_name or found.name)
    return str(m.IDENTITY_ASK).format(region=found.full_name or found.name)


def _on_location(turn: Turn) -> str:
    if turn.conv.step != Step.REGION:
        return str(m.LOCATION_NOT_NOW)
    return _on_region(turn, turn.inbound.label)


def region_from_text(*, account: WechatAccount, text: str) -> Region | str:
    """The region a place name or a location's label names: the account's own area first (a
    county account's followers mostly mean that county), then the whole province."""
    text = text.strip()
    region = region_get(code=text) if text.isdigit() else None
    if region is None and text:
        for within in dict.fromkeys((account.region.prefix, settings.XINFANG_PROVINCE)):
            if loc := locate_sure(text, within=within):
                region = region_get(code=loc.code)
                break
    if region is None:
        return str(m.REGION_UNKNOWN)
    if not region.code.startswith(settings.XINFANG_PROVINCE) or not bureau_for_region(
        region=region
    ):
        return str(m.REGION_OUTSIDE)
    return region


def _on_identity(turn: Turn, text: str) -> str:
    if text in _ANONYMOUS:
        _move(turn, Step.IMAGES, anonymous=True, name="", phone="")
        return str(m.IMAGES_ASK).format(n=settings.XINFANG_ATTACHMENT_MAX_COUNT)
    text = re.sub(r"\s+", "", text)  # 139 0731 1234
    match = _PHONE.search(text)
    phone = v.normalize_phone(match.group(1)) if match else ""
    name = _NAME_NOISE.sub("", text.replace(match.group(0), "")) if match else ""
    if not phone or v.check_phone(phone) or not 1 <= len(name) <= 64:
        return str(m.IDENTITY_BAD)
    _move(turn, Step.IMAGES, anonymous=False, name=name, phone=phone)
    return str(m.IMAGES_ASK).format(n=settings.XINFANG_ATTACHMENT_MAX_COUNT)


def _on_image(turn: Turn) -> str:
    if turn.conv.step != Step.IMAGES:
        return str(m.IMAGE_NOT_NOW) if turn.conv.step != Step.IDLE else str(m.IDLE_HINT)
    limit = settings.XINFANG_ATTACHMENT_MAX_COUNT
    count = DraftImage.objects.filter(conversation=turn.conv).count()
    if count >= limit:
        return str(m.IMAGE_LIMIT).format(n=limit)
    if not isinstance(turn.image, UploadedFileData):
        reason = turn.image if isinstance(turn.image, Msg) else m.UNSUPPORTED
        return str(m.IMAGE_FAILED).format(reason=str(reason).rstrip("。"))
    DraftImage.objects.create(
        conversation=turn.conv,
        media_id=turn.inbound.media_id,
        name=turn.image.name,
        content_type=turn.image.content_type,
        content=turn.image.content,
        sha256=turn.image.sha256,
    )
    _save(turn.conv)  # the image belongs to this version of the draft
    return str(m.IMAGE_SAVED).format(n=count + 1)


def _on_images(turn: Turn, text: str) -> str:
    if text not in _DONE:
        return str(m.IMAGES_ASK).format(n=settings.XINFANG_ATTACHMENT_MAX_COUNT)
    _move(turn, Step.CONFIRM)
    return _summary(turn)


def _summary(turn: Turn) -> str:
    d = turn.conv.draft
    content = d.get("content", "")
    person = m.ANONYMOUS if d.get("anonymous") else f"{d['name']} {v.mask_phone(d['phone'])}"
    return str(m.SUMMARY).format(
        type=d.get("type_name", ""),
        title=d.get("title", ""),
        content=content[:_SUMMARY_CHARS] + ("…" if len(content) > _SUMMARY_CHARS else ""),
        region=d.get("region_name", ""),
        person=person,
        images=DraftImage.objects.filter(conversation=turn.conv).count(),
    )


def _on_confirm(turn: Turn, text: str) -> str:
    if text in _RESTART:
        return _start(turn)
    if text not in _CONFIRM:
        return _summary(turn)
    return _submit(turn)


def petition_data(draft: dict[str, Any]) -> dict[str, Any]:
    """A draft in intake's input shape (the same shape the API and the web form send)."""
    data: dict[str, Any] = {
        key: draft.get(key, "") for key in ("title", "content", "petition_type", "region_code")
    }
    data["anonymous"] = bool(draft.get("anonymous"))
    if not data["anonymous"]:
        data["petitioner"] = {"name": draft.get("name", ""), "phone": draft.get("phone", "")}
    return data


def _submit(turn: Turn) -> str:
    images = DraftImage.objects.filter(conversation=turn.conv)
    files = [UploadedFileData(i.name, bytes(i.content), i.content_type, i.sha256) for i in images]
    address = follower_address(account=turn.account, openid=turn.inbound.openid)
    try:
        receipt = petition_submit(
            channel=Channel.WECHAT,
            data=petition_data(turn.conv.draft),
            idempotency_key=delivery_key("wechat", turn.account.appid, turn.inbound.key),
            files=files,
            contacts=[Contact(Medium.WECHAT, address)],
        )
    except FieldErrors as exc:
        errors = "；".join(str(msg) for msgs in exc.errors.values() for msg in msgs)
        return str(m.SUBMIT_FAILED).format(errors=errors)
    except ApplicationError as exc:
        return str(m.SUBMIT_FAILED).format(errors=str(exc.message))
    _reset(turn)
    reply = str(m.SUBMITTED).format(item=receipt.case.item_number, code=receipt.case.query_code)
    if receipt.secret:
        reply += "\n" + str(m.SUBMITTED_SECRET).format(secret=receipt.secret)
    return reply


_ON_TEXT: dict[Step, Callable[[Turn, str], str]] = {
    Step.IDLE: _on_idle,
    Step.TYPE: _on_type,
    Step.TITLE: _on_title,
    Step.CONTENT: _on_content,
    Step.REGION: _on_region,
    Step.IDENTITY: _on_identity,
    Step.IMAGES: _on_images,
    Step.CONFIRM: _on_confirm,
}
