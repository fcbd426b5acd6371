from __future__ import annotations

from django.db import models


class TrackFailure(models.Model):
    """One wrong second factor. Counted per query code and per client to throttle guessing.

    Both keys are stored as keyed digests: the table must not become a list of query codes
    or of citizens' addresses.
    """

    code_digest = models.CharField(max_length=40)
    client_digest = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["code_digest", "created_at"]),
            models.Index(fields=["client_digest", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.code_digest[:8]}@{self.created_at:%Y-%m-%d %H:%M}"
