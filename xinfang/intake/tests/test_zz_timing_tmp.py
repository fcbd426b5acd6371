import time

import pytest

from xinfang.catalog.defaults import install_defaults
from xinfang.catalog.models import Category, DeadlineProfile, PetitionType
from xinfang.orgs.models import Region
from xinfang.orgs.services import region_load_divisions


@pytest.mark.django_db
def test_t():
    print(
        "regions",
        Region.objects.count(),
        "cats",
        Category.objects.count(),
        "types",
        PetitionType.objects.count(),
    )
    pass
    t = time.time()
    n = region_load_divisions(province="43", township_cities=["4301"])
    print("regions", n, time.time() - t)
    pass
    t = time.time()
    install_defaults(Category, DeadlineProfile, PetitionType)
    print("defaults", time.time() - t, Category.objects.count())
