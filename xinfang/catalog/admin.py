from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from xinfang.catalog.models import Category, DeadlineProfile, DispatchRule, PetitionType
from xinfang.core.resources import RefDataResource, by_code
from xinfang.orgs.models import Org, Region


class CategoryResource(RefDataResource):
    parent = by_code("parent", Category)

    class Meta:
        model = Category
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "level",
            "parent",
            "keywords",
            "is_active",
            "valid_from",
            "valid_to",
        )


class PetitionTypeResource(RefDataResource):
    handling_profile = by_code("handling_profile", DeadlineProfile)

    class Meta:
        model = PetitionType
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "name_en",
            "kind",
            "description",
            "handling_profile",
            "sort_order",
            "is_active",
        )


class DeadlineProfileResource(RefDataResource):
    class Meta:
        model = DeadlineProfile
        import_id_fields = ("code",)
        fields = ("code", "name", "amount", "unit", "legal_basis", "description")


class DispatchRuleResource(RefDataResource):
    category = by_code("category", Category)
    region = by_code("region", Region)
    lead_org = by_code("lead_org", Org)
    co_orgs = by_code("co_orgs", Org, many=True)

    class Meta:
        model = DispatchRule
        import_id_fields = ("category", "region")
        fields = ("category", "region", "lead_org", "co_orgs", "note", "is_active")


@admin.register(Category)
class CategoryAdmin(ImportExportModelAdmin):
    resource_classes = [CategoryResource]
    list_display = ("code", "name", "level", "parent", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name", "keywords")
    raw_id_fields = ("parent",)


@admin.register(DeadlineProfile)
class DeadlineProfileAdmin(ImportExportModelAdmin):
    resource_classes = [DeadlineProfileResource]
    list_display = ("code", "name", "amount", "unit", "legal_basis")


@admin.register(PetitionType)
class PetitionTypeAdmin(ImportExportModelAdmin):
    resource_classes = [PetitionTypeResource]
    list_display = (
        "code",
        "name",
        "name_en",
        "kind",
        "handling_profile",
        "sort_order",
        "is_active",
    )


@admin.register(DispatchRule)
class DispatchRuleAdmin(ImportExportModelAdmin):
    resource_classes = [DispatchRuleResource]
    list_display = ("category", "region", "lead_org", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("category", "region", "lead_org")
    filter_horizontal = ("co_orgs",)
