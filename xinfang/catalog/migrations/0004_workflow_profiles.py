"""Time limits added with the workflow: re-handling and the 12345 profile."""

from django.db import migrations


def install(apps, schema_editor):
    from xinfang.catalog.defaults import install_profiles

    install_profiles(apps.get_model("catalog", "DeadlineProfile"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_default_catalogue")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
