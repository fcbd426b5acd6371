"""The IMAP poller against a real IMAP server: Debian's Dovecot, started on loopback.

Mail is put in the folder with IMAP APPEND, the poller runs as the management command, and
the flags are read back from the server. The poller runs in the test's own thread, so the
tests keep pytest-django's rolled-back transaction. Without Dovecot (`apt-get install
dovecot-imapd`) they skip, or fail with XINFANG_REQUIRE_IMAP=1.
"""

from __future__ import annotations

import imaplib
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from xinfang.cases.models import Case, Channel
from xinfang.mailbox.imap import DEFERRED_KEYWORD
from xinfang.mailbox.models import MailboxMessage
from xinfang.mailbox.tests.factories import GOVERNOR, make_mailbox
from xinfang.mailbox.tests.mails import BODY, as_bytes, gb_mail, mail
from xinfang.mailbox.tests.outage import database_down
from xinfang.notify.models import ContactPoint
from xinfang.orgs.tests.factories import make_bureau

DOVECOT = "/usr/sbin/dovecot"
MISSING = "" if os.access(DOVECOT, os.X_OK) else f"{DOVECOT} is missing (dovecot-imapd)"
REQUIRED = os.environ.get("XINFANG_REQUIRE_IMAP") == "1"
USER, PASSWORD = "shengzhang", "imap-test-password"

pytestmark = [
    pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason=MISSING),
    pytest.mark.django_db,
]

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):  # at most ten seconds
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise RuntimeError("dovecot did not start listening")


@pytest.fixture
def imap_port() -> Iterator[int]:
    if MISSING:
        pytest.fail(f"IMAP tests required (XINFANG_REQUIRE_IMAP=1) but {MISSING}")
    # Dovecot's mail processes run as the dovecot user, which cannot enter pytest's 0700
    # temporary directories: the server gets a directory of its own.
    root = Path(tempfile.mkdtemp(prefix="xf-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    process = subprocess.Popen(  # noqa: S603  # a fixed binary and our own config file
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def password_file(tmp_path: Path) -> str:
    path = tmp_path / "imap-password"
    path.write_text(PASSWORD + "\n")
    return str(path)


@pytest.fixture
def mailbox(db: Any) -> Any:
    make_bureau("430000")
    return make_mailbox()


class Folder:
    """The test's own IMAP session on the folder the poller reads."""

    def __init__(self, port: int) -> None:
        self.conn = imaplib.IMAP4("127.0.0.1", port, timeout=30)
        self.conn.login(USER, PASSWORD)

    def append(self, raw: bytes, flags: str = "") -> None:
        status, _ = self.conn.append("INBOX", flags or None, None, raw)
        assert status == "OK"

    def flags(self) -> list[set[str]]:
        self.conn.select("INBOX", readonly=True)
        _, data = self.conn.fetch("1:*", "(FLAGS)")
        out = []
        for line in data:
            text = line.decode() if isinstance(line, bytes) else ""
            inner = text[text.index("FLAGS (") + 7 : text.rindex(")") - 1]
            out.append(set(inner.split()) - {r"\Recent"})  # session-specific, not ours
        return out

    def unflag_seen(self, seq: str) -> None:
        self.conn.select("INBOX")
        self.conn.store(seq, "-FLAGS", r"(\Seen)")


@pytest.fixture
def folder(imap_port: int) -> Iterator[Folder]:
    f = Folder(imap_port)
    yield f
    f.conn.logout()


def poll(port: int, password_file: str, **extra: Any) -> str:
    args = ["--mailbox", GOVERNOR, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--security", "none", "--user", USER, "--password-file", password_file]
    for name, value in extra.items():
        args += [f"--{name}", str(value)]
    out = io.StringIO()
    call_command("mailbox_imap_poll", *args, stdout=out)
    return out.getvalue()


def test_unseen_mail_becomes_petitions_and_is_marked_seen(
    imap_port: int, folder: Folder, mailbox: Any, password_file: str
) -> None:
    folder.append(as_bytes(mail(to=GOVERNOR)))
    folder.append(gb_mail(to=GOVERNOR, subject="关于堃镕路积水的反映", body=BODY))
    folder.append(as_bytes(mail(to=GOVERNOR, message_id="<read@x>")), flags=r"(\Seen)")
    assert "accepted=2" in poll(imap_port, password_file)
    cases = list(Case.objects.order_by("pk"))
    assert [c.title for c in cases] == ["小区长期停水问题", "关于堃镕路积水的反映"]
    assert {c.channel for c in cases} == {Channel.MAILBOX}
    assert set(MailboxMessage.objects.values_list("via", flat=True)) == {"imap"}
    assert ContactPoint.objects.filter(medium="email").count() == 2
    assert folder.flags() == [{r"\Seen"}, {r"\Seen"}, {r"\Seen"}]
    # Nothing unseen is left: the next poll does nothing.
    assert "nothing new" in poll(imap_port, password_file)
    assert Case.objects.count() == 2


def test_a_message_read_again_is_the_same_petition(
    imap_port: int, folder: Folder, mailbox: Any, password_file: str
) -> None:
    folder.append(as_bytes(mail(to=GOVERNOR)))
    poll(imap_port, password_file)
    folder.unflag_seen("1")  # as if the poll had died between commit and STORE
    assert "duplicate=1" in poll(imap_port, password_file)
    assert Case.objects.count() == 1
    assert folder.flags() == [{r"\Seen"}]


def test_database_failure_leaves_the_message_unseen(
    imap_port: int, folder: Folder, mailbox: Any, password_file: str
) -> None:
    folder.append(as_bytes(mail(to=GOVERNOR)))
    with database_down():
        assert "deferred=1" in poll(imap_port, password_file)
    assert not Case.objects.exists()
    assert folder.flags() == [{DEFERRED_KEYWORD}]  # unseen, and last in the next poll's order
    assert "accepted=1" in poll(imap_port, password_file)
    assert Case.objects.count() == 1
    assert folder.flags() == [{r"\Seen", DEFERRED_KEYWORD}]


def test_failing_messages_do_not_block_newer_mail(
    imap_port: int, folder: Folder, mailbox: Any, password_file: str
) -> None:
    for n in (1, 2):
        folder.append(as_bytes(mail(to=GOVERNOR, subject=f"故障来信{n}", message_id=f"<f{n}@x>")))
    folder.append(as_bytes(mail(to=GOVERNOR, message_id="<ok@x>")))
    with database_down(title_prefix="故障"):
        assert "deferred=2" in poll(imap_port, password_file, limit=2)
        # The next poll takes the mail that never failed before the two that did.
        out = poll(imap_port, password_file, limit=2)
    assert "accepted=1" in out
    assert "deferred=1" in out
    assert list(Case.objects.values_list("title", flat=True)) == ["小区长期停水问题"]
    assert r"\Seen" in folder.flags()[2]
    # Once the fault is gone they get in.
    assert "accepted=2" in poll(imap_port, password_file)
    assert Case.objects.count() == 3


def test_a_mail_that_cannot_be_a_petition_is_flagged_for_a_person(
    imap_port: int, folder: Folder, mailbox: Any, password_file: str
) -> None:
    folder.append(as_bytes(mail(to=GOVERNOR, subject="无", body="")))
    folder.append(as_bytes(mail(to=GOVERNOR, message_id="<ok@x>")))
    out = poll(imap_port, password_file, limit=1)
    assert "refused=1" in out
    assert folder.flags() == [{r"\Seen", r"\Flagged"}, set()]
    assert not Case.objects.exists()
    assert "accepted=1" in poll(imap_port, password_file)


def test_command_errors(imap_port: int, mailbox: Any, password_file: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        call_command("mailbox_imap_poll", "--mailbox", "nobody@x.cn", "--host", "h", "--user", "u")
    assert info.value.returncode == 2
    with pytest.raises(CommandError) as info:
        call_command("mailbox_imap_poll", "--mailbox", GOVERNOR, "--host", "", "--user", "u")
    assert info.value.returncode == 2
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    with pytest.raises(CommandError, match="login failed"):
        poll(imap_port, str(wrong))
