from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from xinfang.cases.models import Case, Petitioner
from xinfang.demo import generator
from xinfang.intake.validation import validate_petition
from xinfang.orgs.models import Membership, Org, OrgKind
from xinfang.orgs.permissions import Role


@pytest.mark.django_db
def test_seed_demo_builds_the_hunan_installation() -> None:
    out = io.StringIO()
    call_command("seed_demo", petitions=40, stdout=out)
    bureaus = Org.objects.filter(kind=OrgKind.PETITION_BUREAU)
    assert bureaus.count() == 1 + 14 + 134
    assert Org.objects.get(code="430000-XFJ").name == "湖南省信访局"
    assert Org.objects.filter(region__code="430102", kind=OrgKind.DEPARTMENT).count() == 12
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    assert Case.objects.count() == 40
    assert len(set(Case.objects.values_list("channel", flat=True))) >= 4
    assert Case.objects.filter(status="registered").exists()
    assert "Xinfang-demo-2026" in out.getvalue()
    # Whatever the demo answered with the petitioner's consent is on the public board, redacted.
    from xinfang.board.models import Publication, PublicationStatus

    published = Publication.objects.filter(status=PublicationStatus.PUBLISHED)
    assert f"{published.count()} demo petitions published on the board" in out.getvalue()
    assert all(
        p.case.consent_publish and p.case.petition_type.kind != "accusation" for p in published
    )
    from xinfang.board.services import publications_due

    assert not publications_due().exists()  # every publishable demo case was proposed
    call_command("seed_demo", petitions=40, stdout=io.StringIO())  # a second run adds nothing
    assert Case.objects.count() == 40
    assert (
        Petitioner.objects.filter(is_main=True).count()
        == Case.objects.filter(is_anonymous=False).count()
    )


def test_negative_count_is_a_usage_error() -> None:
    with pytest.raises(CommandError) as exc:
        call_command("seed_demo", petitions=-1)
    assert exc.value.returncode == 2


@pytest.mark.django_db
def test_generated_petitions_are_valid_input() -> None:
    rng = random.Random(7)
    for _ in range(200):
        gen = generator.petition(rng, region_code="430102", place="芙蓉区", now=timezone.now())
        validate_petition(gen.data)  # raises FieldErrors if the generator drifts from intake
        assert gen.received_at <= timezone.now()
