"""A petition started from messages: the guided conversation, exactly once per delivery."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from xinfang.cases.models import Attachment, Case
from xinfang.intake.tests.test_api import PNG
from xinfang.notify.contacts import contact_index
from xinfang.notify.models import ContactPoint
from xinfang.wechat.models import Conversation, Delivery, DraftImage, Step
from xinfang.wechat.services import wechat_purge
from xinfang.wechat.tests.helpers import FakeWeChatApi, Follower

pytestmark = pytest.mark.django_db

TITLE = "小区门口路灯长期不亮"
CONTENT = "芙蓉区五一街道某小区门口的路灯坏了两个多月，晚上出行很不安全，请尽快修复。"


def fill_until_images(follower: Follower, *, identity: str = "张三 13907311234") -> None:
    assert "信访类型" in follower.say("我要信访")
    assert "标题" in follower.say("1")
    assert "详细说明" in follower.say(TITLE)
    assert "哪里" in follower.say(CONTENT)
    assert "文艺路街道" in follower.say("长沙市芙蓉区文艺路街道")
    assert "图片" in follower.say(identity)


def conversation(follower: Follower) -> Conversation:
    return Conversation.objects.get(openid=follower.openid)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
def test_conversation_makes_one_petition_even_when_confirm_is_redelivered(
    client: Client, account: Any, encrypted: bool
) -> None:
    follower = Follower(client, encrypted=encrypted)
    fill_until_images(follower)
    summary = follower.say("完成")
    assert TITLE in summary
    assert "139****1234" in summary
    assert "图片：0张" in summary

    reply = follower.say("确认")
    case = Case.objects.get()
    assert case.channel == "wechat"
    assert case.title == TITLE
    assert case.region.code == "430102001"  # 文艺路街道, read by the gazetteer
    assert case.item_number in reply
    assert case.query_code in reply
    # WeChat got no answer in time and delivers the same MsgId again, twice.
    assert follower.redeliver() == reply
    assert follower.redeliver() == reply
    assert Case.objects.count() == 1
    assert Case.objects.get().idempotency_key.startswith("wechat:wx0123456789abcdef:")
    point = ContactPoint.objects.get(case=case)
    assert (point.medium, point.address) == ("wechat", f"cs/{follower.openid}")
    assert point.address_index == contact_index(medium="wechat", address=f"cs/{follower.openid}")
    assert conversation(follower).step == Step.IDLE


def test_a_redelivered_answer_does_not_advance_the_conversation_twice(
    client: Client, account: Any
) -> None:
    follower = Follower(client)
    follower.say("我要信访")
    follower.say("1")
    reply = follower.say(TITLE)
    version = conversation(follower).version
    assert follower.redeliver() == reply
    assert follower.redeliver() == reply
    conv = conversation(follower)
    assert conv.step == Step.CONTENT
    assert conv.version == version
    assert "content" not in conv.draft  # the title was not taken as the content
    assert Delivery.objects.filter(account=account).count() == 3


def test_images_are_downloaded_and_attached(
    client: Client, account: Any, fake_api: FakeWeChatApi
) -> None:
    fake_api.media["MEDIA-1"] = PNG
    follower = Follower(client)
    fill_until_images(follower)
    reply = follower.send("image", PicUrl="http://mmbiz.qpic.cn/x", MediaId="MEDIA-1")
    assert "第1张" in reply
    assert follower.redeliver() == reply  # the same image is not stored twice
    assert DraftImage.objects.count() == 1
    assert "未能保存" in follower.send("image", PicUrl="http://x", MediaId="GONE")
    assert "图片：1张" in follower.say("完成")
    follower.say("确认")
    attachment = Attachment.objects.get(case=Case.objects.get())
    assert attachment.original_name.startswith("微信图片-MEDIA-1")
    assert not DraftImage.objects.exists()
    assert fake_api.paths().count("/cgi-bin/token") == 1  # the token is cached
    assert "/cgi-bin/media/get" in fake_api.paths()


def test_a_location_message_names_the_region(client: Client, account: Any) -> None:
    follower = Follower(client)
    follower.say("我要信访")
    follower.say("1")
    follower.say(TITLE)
    follower.say(CONTENT)
    reply = follower.send(
        "location",
        Location_X="28.19",
        Location_Y="112.98",
        Scale="15",
        Label="湖南省长沙市芙蓉区五一大道",
    )
    assert "芙蓉区" in reply
    assert conversation(follower).draft["region_code"] == "430102"


def test_unclear_or_outside_places_are_asked_again(client: Client, account: Any) -> None:
    follower = Follower(client)
    for text in ("我要信访", "1", TITLE, CONTENT):
        follower.say(text)
    assert "没有识别出" in follower.say("我家门口")
    # Zhuzhou is in the province, but no bureau there receives online petitions yet.
    assert "不在本平台受理范围" in follower.say("株洲市荷塘区")
    assert conversation(follower).step == Step.REGION


def test_anonymous_petition_gets_its_tracking_secret(client: Client, account: Any) -> None:
    follower = Follower(client)
    fill_until_images(follower, identity="匿名")
    follower.say("完成")
    reply = follower.say("确认")
    case = Case.objects.get()
    assert case.is_anonymous
    assert "验证码" in reply
    assert follower.redeliver() == reply  # the stored reply, secret included


def test_invalid_answers_are_asked_again(client: Client, account: Any) -> None:
    follower = Follower(client)
    follower.say("我要信访")
    assert "序号" in follower.say("99")
    follower.say("1")
    assert "标题需要" in follower.say("灯")
    follower.say(TITLE)
    assert "诉求内容需要" in follower.say("太短")
    follower.say(CONTENT)
    follower.say("芙蓉区")
    assert "请回复姓名和手机号" in follower.say("张三 123")
    assert "现在请先回复文字" not in follower.say("张三，电话 139 0731 1234")
    assert conversation(follower).draft["phone"] == "13907311234"


def test_cancel_and_restart(client: Client, account: Any) -> None:
    follower = Follower(client)
    assert "没有正在填写" in follower.say("取消")
    follower.say("我要信访")
    follower.say("1")
    assert "已取消" in follower.say("取消")
    assert conversation(follower).step == Step.IDLE
    follower.say("我要信访")
    follower.say("1")
    assert "重新开始" in follower.say("我要信访")
    assert not Case.objects.exists()


def test_menu_click_starts_and_a_redelivered_event_is_answered_once(
    client: Client, account: Any, settings: Any
) -> None:
    settings.XINFANG_SITE_URL = "https://xf.example.cn/"
    follower = Follower(client)
    reply = follower.click("XF_PETITION")
    assert "信访类型" in reply
    assert re.search(r'<a href="https://xf.example.cn/wechat/cs/form/\?t=[^"]+">', reply)
    follower.say("1")  # now at the title step
    assert follower.redeliver() != reply  # the last delivery is the text
    version = conversation(follower).version
    event = follower.delivery("event", event=True, Event="CLICK", EventKey="XF_HELP")
    first = event.post().content
    assert event.post().content.startswith(first[:20])
    assert conversation(follower).version == version
    assert Delivery.objects.filter(key__contains=follower.openid).count() == 2  # two events


def test_query_lists_the_followers_petitions(client: Client, account: Any) -> None:
    follower = Follower(client)
    assert "没有查到" in follower.click("XF_QUERY")
    fill_until_images(follower)
    follower.say("完成")
    follower.say("确认")
    case = Case.objects.get()
    reply = follower.say("查询进度")
    assert case.item_number in reply
    assert "已收到" in reply or "已登记" in reply
    assert "没有查到" in Follower(client).say("查询进度")  # another follower sees nothing


def test_unsubscribe_forgets_the_unsent_draft(client: Client, account: Any) -> None:
    follower = Follower(client)
    follower.say("我要信访")
    follower.say("1")
    assert follower.send("event", event=True, Event="unsubscribe") == ""
    conv = conversation(follower)
    assert (conv.step, conv.draft, conv.subscribed) == (Step.IDLE, {}, False)
    follower.send("event", event=True, Event="subscribe")
    assert conversation(follower).subscribed


def test_purge_forgets_old_deliveries_and_abandoned_drafts(client: Client, account: Any) -> None:
    follower = Follower(client)
    follower.say("我要信访")
    follower.say("1")
    long_ago = timezone.now() - timedelta(days=30)
    Delivery.objects.update(created_at=long_ago)
    Conversation.objects.update(updated_at=long_ago)
    assert wechat_purge() == {"deliveries": 2, "drafts": 1, "images": 0}
    assert conversation(follower).step == Step.IDLE
