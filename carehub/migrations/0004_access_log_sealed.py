from django.db import migrations, models


class Migration(migrations.Migration):
    """Entries written before the audit key (and by a 0.3 process during a rolling upgrade: the
    database's default) are unsealed, plain SHA-256; the application seals new ones."""

    dependencies = [
        ("carehub", "0003_access_log_refused"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="sealed",
            field=models.BooleanField(db_default=False, default=True, editable=False),
        ),
    ]
