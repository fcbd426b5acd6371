from __future__ import annotations

from django.db import models


class OneTimeCode(models.Model):
    """One SMS code sent to a phone for signing in.

    Neither the phone nor the code is stored: the phone as its blind index (the one
    Petitioner.phone_index uses, so "my petitions" is an equality look-up), the code as a keyed
    digest. The rows double as the send log the rate limits count.
    """

    phone_index = models.CharField(max_length=40)
    client_digest = models.CharField(max_length=40)
    purpose = models.CharField(max_length=16, default="signin")
    code_digest = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone_index", "created_at"]),
            models.Index(fields=["client_digest", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.purpose}@{self.created_at:%Y-%m-%d %H:%M}"
