from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.audit.selectors import audit_verify

_HEAD = re.compile(r"(?P<seq>[0-9]{1,18}):(?P<hash>[0-9a-fA-F]{64})")


def _from_seq(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) < 10**18):
        raise CommandError(f"--from-seq takes a whole number ≥ 1, got {text!r}", returncode=2)
    return int(text)


def _expect_head(text: str | None, from_seq: int) -> tuple[int, str] | None:
    if text is None:
        return None
    match = _HEAD.fullmatch(text.strip())
    if match is None:
        raise CommandError(
            f"--expect-head takes SEQ:HASH (64 hex digits), got {text!r}", returncode=2
        )
    seq = int(match["seq"])
    if seq < from_seq:
        raise CommandError(f"--expect-head seq {seq} is before --from-seq {from_seq}", returncode=2)
    return seq, match["hash"].lower()


class Command(BaseCommand):
    help = (
        "Verify the audit chain: recompute every entry's hash and link in order. "
        "Exit 0 when sound, 1 at the first break, 2 on bad arguments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Taken as text and checked here, so bad values exit 2 from call_command too.
        parser.add_argument(
            "--from-seq",
            default="1",
            help="start at this entry, trusting the stored hash of the one before (default 1)",
        )
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="a head recorded earlier (see README): it must still be in the chain unchanged",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from_seq = _from_seq(str(options["from_seq"]))
        expect_head = _expect_head(options["expect_head"], from_seq)
        report = audit_verify(from_seq=from_seq, expect_head=expect_head, progress=self._progress)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at seq={report.broken_seq}: {report.reason} "
                f"({report.count} entries verified before it)",
                returncode=1,
            )
        self.stdout.write(
            f"OK {report.count} entries, head seq={report.head_seq} hash={report.head_hash}"
        )

    def _progress(self, count: int, seq: int) -> None:
        self.stderr.write(f"… {count} entries verified (seq={seq})")
