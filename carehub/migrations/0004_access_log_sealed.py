from django.db import migrations, models


class Migration(migrations.Migration):
    """Entries written before the audit key are marked unsealed (plain SHA-256); new ones are sealed."""

    dependencies = [
        ("carehub", "0003_access_log_refused"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="sealed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="sealed",
            field=models.BooleanField(default=True, editable=False),
        ),
    ]
