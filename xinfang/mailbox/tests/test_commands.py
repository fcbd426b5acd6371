"""Bad options of mailbox_smtpd stop it with exit code 2 before it listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "--port must be"),
        (["--port", "70000"], "--port must be"),
        (["--tls-cert", "/nonexistent.pem"], "go together"),
        (["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], "no such file"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as info:
        call_command("mailbox_smtpd", *args)
    assert info.value.returncode == 2


def test_unreadable_certificate_exits_2(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    with pytest.raises(CommandError, match="cannot load") as info:
        call_command("mailbox_smtpd", "--tls-cert", str(cert), "--tls-key", str(cert))
    assert info.value.returncode == 2
