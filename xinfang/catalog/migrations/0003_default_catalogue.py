"""Install the default reference data: 3-level catalogue, time limits, petition types."""

from django.db import migrations


def install(apps, schema_editor):
    from xinfang.catalog.defaults import install_defaults

    install_defaults(
        apps.get_model("catalog", "Category"),
        apps.get_model("catalog", "DeadlineProfile"),
        apps.get_model("catalog", "PetitionType"),
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
