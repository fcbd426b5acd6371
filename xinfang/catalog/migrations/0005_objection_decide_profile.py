"""The forwarding bureau's time to decide on an objection (T10)."""

from django.db import migrations


def install(apps, schema_editor):
    from xinfang.catalog.defaults import install_profiles

    install_profiles(apps.get_model("catalog", "DeadlineProfile"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_workflow_profiles")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
