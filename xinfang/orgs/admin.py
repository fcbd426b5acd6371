from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from import_export.admin import ImportExportModelAdmin

from xinfang.core.resources import RefDataResource, by_code
from xinfang.orgs.models import Membership, Org, Region, User


class RegionResource(RefDataResource):
    parent = by_code("parent", Region)

    class Meta:
        model = Region
        import_id_fields = ("code",)
        fields = ("code", "prefix", "name", "full_name", "level", "parent")


class OrgResource(RefDataResource):
    region = by_code("region", Region)
    parent = by_code("parent", Org)

    class Meta:
        model = Org
        import_id_fields = ("code",)
        fields = ("code", "name", "short_name", "kind", "region", "parent", "is_active")


@admin.register(Region)
class RegionAdmin(ImportExportModelAdmin):
    resource_classes = [RegionResource]
    list_display = ("code", "name", "full_name", "level")
    list_filter = ("level",)
    search_fields = ("code", "name", "full_name")
    raw_id_fields = ("parent",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("org",)


@admin.register(Org)
class OrgAdmin(ImportExportModelAdmin):
    resource_classes = [OrgResource]
    list_display = ("code", "name", "kind", "region", "is_active")
    list_filter = ("kind", "region__level", "is_active")
    search_fields = ("code", "name", "region__name")
    raw_id_fields = ("region", "parent")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "is_staff", "is_active")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("信访", {"fields": ("full_name",)}))
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "org", "role", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("user", "org")
