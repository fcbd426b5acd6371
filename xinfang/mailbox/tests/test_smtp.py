"""Mail sent with smtplib to the receiver on loopback ends as exactly one petition.

The receiver (aiosmtpd's Controller) answers from its own thread and writes through its own
database connection, so the tests are `transaction=True` and put back the reference data the
flush removes (xinfang/core/tests/browser.py).
"""

from __future__ import annotations

import datetime
import smtplib
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from xinfang.cases.models import Attachment, Case, Channel, Petitioner
from xinfang.catalog.models import PetitionType
from xinfang.core.tests.browser import (
    reference_data,  # noqa: F401
    restore_reference_data,  # noqa: F401
)
from xinfang.mailbox.models import MailboxMessage
from xinfang.mailbox.smtp import smtp_controller
from xinfang.mailbox.tests.factories import GOVERNOR, make_mailbox
from xinfang.mailbox.tests.mails import BODY, PNG, SENDER, as_bytes, gb_mail, mail
from xinfang.mailbox.tests.outage import database_down
from xinfang.notify.models import ContactPoint, Notification
from xinfang.orgs.models import OrgKind
from xinfang.orgs.tests.factories import make_bureau

pytestmark = pytest.mark.django_db(transaction=True)

MAX_BYTES = 200_000
ATTACHMENT_MAX = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bureau(reference_data: None) -> Any:  # noqa: F811
    return make_bureau("430000")  # the provincial bureau registers the governor's mail


@pytest.fixture
def mailbox(bureau: Any) -> Any:
    return make_mailbox()


@pytest.fixture
def port(settings: Any, mailbox: Any) -> Iterator[int]:
    settings.XINFANG_MAILBOX_MAX_BYTES = MAX_BYTES
    settings.XINFANG_ATTACHMENT_MAX_BYTES = ATTACHMENT_MAX
    controller = smtp_controller(host="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port
    controller.stop()


def send(port: int, message: EmailMessage | bytes, to: str = GOVERNOR) -> tuple[int, bytes]:
    """Deliver as a relay does; returns the DATA reply (code, text)."""
    raw = as_bytes(message) if isinstance(message, EmailMessage) else message
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo("relay.example.cn")
        client.mail(SENDER)
        code, text = client.rcpt(to)
        if code != 250:
            return code, text
        return client.data(raw)


def only_case() -> Case:
    cases = list(Case.objects.all())
    assert len(cases) == 1
    return cases[0]


def test_plain_text_mail_becomes_one_petition_once(port: int, mailbox: Any) -> None:
    code, text = send(port, mail(to=GOVERNOR, subject="农民工工资拖欠问题（2026年）"))
    case = only_case()
    assert code == 250
    assert case.item_number.encode() in text
    assert case.channel == Channel.MAILBOX
    assert case.title == "农民工工资拖欠问题（2026年）"  # sent RFC 2047-encoded as UTF-8
    assert case.content == BODY
    assert case.region == mailbox.region
    assert case.petition_type == mailbox.petition_type
    # 省长信箱: mail to it is a petition to the provincial government, which registers it.
    assert case.register_org == mailbox.owner_org
    # No phone in the mail: intake's rule makes it anonymous; the address still answers.
    assert case.is_anonymous
    contact = ContactPoint.objects.get(case=case)
    assert (contact.medium, contact.address) == ("email", SENDER)
    record = MailboxMessage.objects.get(case=case)
    assert (record.mailbox, record.owner_org, record.via) == (mailbox, mailbox.owner_org, "smtp")
    assert len(record.mail_digest) == 64  # SHA-256 of the mail as received
    assert record.message_key == f"mail:{mailbox.pk}:<msg-1@example.cn>"
    assert case.events.get(kind="received").payload["channel"] == "mailbox"
    # notify's outbox holds the acknowledgement for the sender's address (sent by its worker).
    notice = Notification.objects.get(case=case, template="received")
    assert (notice.medium, notice.address) == ("email", SENDER)
    # Redelivered (a relay that lost our answer), also to another spelling of the address.
    again = mail(to=GOVERNOR, subject="农民工工资拖欠问题（2026年）")
    assert send(port, again) == (code, text)
    assert send(port, again, to=GOVERNOR.upper()) == (code, text)
    assert only_case().contact_points.count() == 1
    assert Notification.objects.filter(template="received").count() == 1


def test_an_owner_that_does_not_register_leaves_it_to_the_bureau(port: int, bureau: Any) -> None:
    box = make_mailbox(address="office@xf.hunan.gov.cn", name="领导信箱", owner_kind=OrgKind.OTHER)
    assert send(port, mail(to=box.address), to=box.address)[0] == 250
    case = only_case()
    assert case.register_org == bureau
    assert MailboxMessage.objects.get(case=case).owner_org == box.owner_org


def test_a_redelivery_after_a_settings_change_is_the_same_petition(port: int, mailbox: Any) -> None:
    code, text = send(port, mail(to=GOVERNOR))
    # Our answer was lost; before the relay retries, the mailbox's defaults change.
    mailbox.petition_type = PetitionType.objects.get(code="appeal")
    mailbox.save()
    assert send(port, mail(to=GOVERNOR)) == (code, text)
    assert only_case().petition_type.code == "suggestion"


def test_named_petition_and_title_from_the_body(port: int) -> None:
    body = BODY + "\n\n姓名：李四\n联系电话：13907310001\n住址：长沙市岳麓区某小区3栋"
    assert send(port, mail(to=GOVERNOR, subject=None, body=body))[0] == 250
    case = only_case()
    assert case.title == "尊敬的省长："
    assert not case.is_anonymous
    person = Petitioner.objects.get(case=case)
    assert (person.name, person.phone) == ("李四", "13907310001")
    assert person.address == "长沙市岳麓区某小区3栋"


def test_html_only_mail_is_stored_as_text(port: int) -> None:
    html = (
        "<html><head><style>body{color:red}</style></head><body>"
        "<p>反映问题：学校门口<b>交通</b>拥堵。</p><script>alert('x')</script>"
        "<div>早高峰尤其严重<br>请求增设信号灯。</div></body></html>"
    )
    assert send(port, mail(to=GOVERNOR, body=None, html=html))[0] == 250
    case = only_case()
    assert case.content == "反映问题：学校门口交通拥堵。\n\n早高峰尤其严重\n请求增设信号灯。"
    for leftover in ("<", "alert", "color"):
        assert leftover not in case.content


def test_attachments_kept_or_skipped_and_noted(port: int) -> None:
    msg = mail(to=GOVERNOR)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="现场照片.png")
    msg.add_attachment(b"MZ" + b"\0" * 100, maintype="application", subtype="octet-stream",
                       filename="tool.exe")  # fmt: skip
    big = PNG + b"\0" * ATTACHMENT_MAX
    msg.add_attachment(big, maintype="image", subtype="png", filename="big.png")
    assert send(port, msg)[0] == 250
    case = only_case()
    attachment = Attachment.objects.get(case=case)
    assert (attachment.original_name, attachment.content_type) == ("现场照片.png", "image/png")
    assert attachment.file.read() == PNG
    assert case.content.startswith(BODY)
    assert "【以下邮件附件未收录】" in case.content
    assert "tool.exe：不支持的文件类型" in case.content
    assert "big.png：单个文件不能超过" in case.content
    skipped = MailboxMessage.objects.get(case=case).skipped
    assert [s["name"] for s in skipped] == ["tool.exe", "big.png"]


def test_gb_encoded_chinese_mails(port: int) -> None:
    # Older clients label GBK text "GB2312"; 堃 and 镕 are outside GB2312.
    for label in ("GB2312", "GBK", "GB18030"):
        raw = gb_mail(to=GOVERNOR, subject=f"关于堃镕路积水的反映{label}", body=BODY, label=label)
        assert send(port, raw)[0] == 250
    cases = Case.objects.order_by("pk")
    assert [(c.title, c.content) for c in cases] == [
        (f"关于堃镕路积水的反映{label}", BODY) for label in ("GB2312", "GBK", "GB18030")
    ]


def test_refusals_store_nothing(port: int) -> None:
    make_mailbox(address="old@xf.hunan.gov.cn", name="旧信箱", is_active=False)
    for address in ("nobody@xf.hunan.gov.cn", "old@xf.hunan.gov.cn"):
        assert send(port, mail(to=address), to=address)[0] == 550
    # Too little to be a petition.
    code, text = send(port, mail(to=GOVERNOR, subject="无", body=""))
    assert (code, b"at least" in text) == (550, True)
    # A body over intake's limit: refused like the web form refuses it, not cut.
    assert send(port, mail(to=GOVERNOR, body="很长的来信。" * 1000))[0] == 552
    # Over XINFANG_MAILBOX_MAX_BYTES: smtplib announces the SIZE, aiosmtpd refuses it.
    big = mail(to=GOVERNOR)
    big.add_attachment(b"\0" * MAX_BYTES, maintype="application", subtype="pdf", filename="a.pdf")
    refused = (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client, pytest.raises(refused) as info:
        client.sendmail(SENDER, [GOVERNOR], as_bytes(big))
    assert info.value.smtp_code == 552
    assert not Case.objects.exists()
    assert not MailboxMessage.objects.exists()


def test_keys_without_message_id_and_for_a_reused_one(port: int, mailbox: Any) -> None:
    raw = as_bytes(mail(to=GOVERNOR, message_id=None))
    assert send(port, raw)[0] == send(port, raw)[0] == 250
    assert only_case().idempotency_key.startswith(f"mail:{mailbox.pk}:sha256:")
    # The same Message-ID twice on different mails (a careless mailer): two petitions.
    assert send(port, mail(to=GOVERNOR))[0] == 250
    other = mail(to=GOVERNOR, subject="另一件事：噪音扰民", body="工地夜间施工，噪音严重扰民。")
    assert send(port, other)[0] == send(port, other)[0] == 250
    titles = list(Case.objects.order_by("pk").values_list("title", flat=True))
    assert titles == ["小区长期停水问题", "小区长期停水问题", "另一件事：噪音扰民"]


def test_database_failure_answers_451_and_the_retry_lands_once(port: int) -> None:
    with database_down():
        code, _ = send(port, mail(to=GOVERNOR))
    assert code == 451
    assert not Case.objects.exists()
    assert not MailboxMessage.objects.exists()
    assert send(port, mail(to=GOVERNOR))[0] == 250  # the relay's retry
    assert send(port, mail(to=GOVERNOR))[0] == 250  # and a duplicate of it
    assert only_case().channel == Channel.MAILBOX


def _self_signed(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_starttls(mailbox: Any, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    controller = smtp_controller(host="127.0.0.1", port=_free_port(), tls_context=server_context)
    controller.start()
    try:
        client_context = ssl.create_default_context(cafile=cert)
        client_context.check_hostname = False  # the test certificate names no loopback host
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=60) as client:
            client.starttls(context=client_context)
            client.sendmail(SENDER, [GOVERNOR], as_bytes(mail(to=GOVERNOR)))
    finally:
        controller.stop()
    assert only_case().channel == Channel.MAILBOX
