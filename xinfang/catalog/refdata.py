"""The reference tables that can be exported and imported as files, by name."""

from __future__ import annotations

from import_export.resources import ModelResource

from xinfang.catalog.admin import (
    CategoryResource,
    DeadlineProfileResource,
    DispatchRuleResource,
    PetitionTypeResource,
)
from xinfang.orgs.admin import OrgResource, RegionResource

# Import order matters: a table's rows refer to the tables listed before it.
RESOURCES: dict[str, type[ModelResource]] = {
    "regions": RegionResource,
    "units": OrgResource,
    "deadline-profiles": DeadlineProfileResource,
    "petition-types": PetitionTypeResource,
    "categories": CategoryResource,
    "dispatch": DispatchRuleResource,
}
FORMATS = ("csv", "xlsx", "json")
