"""Reading mail: decoded subjects, text from HTML without markup, files, sender."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from xinfang.mailbox.parsing import html_to_text, mail_parse
from xinfang.mailbox.tests.mails import BODY, PNG, SENDER, SENDER_NAME, as_bytes, gb_mail, mail

TO = "shengzhang@xf.hunan.gov.cn"
HTML = (
    "<html><head><title>标题栏</title><style>p{color:red}</style>"
    "<script>alert('x')</script></head><body>"
    "<p>第一段：路灯<b>坏了</b>三个月。</p><div>第二段<br>第三行</div>"
    "<!-- 注释 --><img src=x onerror=alert(1)><ul><li>一</li><li>二</li></ul>"
    "<noscript>关闭脚本时</noscript></body></html>"
)


def test_plain_text_utf8_subject_and_sender() -> None:
    parsed = mail_parse(as_bytes(mail(to=TO)))
    assert parsed.subject == "小区长期停水问题"
    assert parsed.body == BODY
    assert (parsed.sender_address, parsed.sender_name) == (SENDER, SENDER_NAME)
    assert parsed.message_id == "<msg-1@example.cn>"
    assert parsed.files == []


def test_html_becomes_text_without_markup_scripts_or_styles() -> None:
    text = html_to_text(HTML)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    assert lines == ["第一段：路灯坏了三个月。", "第二段", "第三行", "一", "二"]
    for leftover in ("<", ">", "alert", "color", "注释", "标题栏", "关闭脚本时"):
        assert leftover not in text


def test_html_only_mail_is_read_as_its_text() -> None:
    parsed = mail_parse(as_bytes(mail(to=TO, body=None, html=HTML)))
    assert parsed.body == "第一段：路灯坏了三个月。\n\n第二段\n第三行\n\n一\n\n二"


def test_plain_part_is_preferred_over_html() -> None:
    parsed = mail_parse(as_bytes(mail(to=TO, html="<p>网页版本</p>")))
    assert parsed.body == BODY
    assert parsed.files == []  # the HTML alternative is not an attachment


def test_gb2312_label_with_gbk_characters() -> None:
    # 堃 and 镕 are GBK, not GB2312: decoding by the label alone would garble them.
    raw = gb_mail(to=TO, subject="关于堃镕路积水的反映", body="堃镕路每逢下雨积水严重。")
    parsed = mail_parse(raw)
    assert parsed.subject == "关于堃镕路积水的反映"
    assert parsed.body == "堃镕路每逢下雨积水严重。"
    assert parsed.sender_name == "王五"


def test_gbk_label() -> None:
    parsed = mail_parse(gb_mail(to=TO, subject="噪音扰民", body="夜间施工噪音扰民。", label="GBK"))
    assert (parsed.subject, parsed.body) == ("噪音扰民", "夜间施工噪音扰民。")


def test_attachments_with_encoded_names() -> None:
    msg: EmailMessage = mail(to=TO)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="现场照片.png")
    msg.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream",
                       filename="tool.exe")  # fmt: skip
    parsed = mail_parse(as_bytes(msg))
    assert parsed.body == BODY
    assert [(f.name, f.content) for f in parsed.files] == [
        ("现场照片.png", PNG),
        ("tool.exe", b"MZ\x90\x00"),
    ]


def test_sender_falls_back_to_the_envelope() -> None:
    raw = b"Subject: test\r\nTo: x@y.cn\r\n\r\nhello\r\n"
    assert mail_parse(raw, envelope_sender="bounce@relay.cn").sender_address == "bounce@relay.cn"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_raw_8bit_subject_without_rfc2047(encoding: str) -> None:
    # Some mailers put the subject's bytes in the header as they are.
    raw = "Subject: 反映堃镕路积水\r\nFrom: a@b.cn\r\n\r\nbody\r\n".encode(encoding)
    assert mail_parse(raw).subject == "反映堃镕路积水"
