"""Install the default wording of every kind of document (zh-hans), from documents/defaults/."""

from django.db import migrations


def install(apps, schema_editor):
    from xinfang.documents.bundled import install as install_defaults

    install_defaults(apps.get_model("documents", "DocumentTemplate"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
