import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models


def fill_public_ids(apps, schema_editor):
    """Give every existing account a public id of its own (a column default
    would give them all the same one)."""
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(public_id__isnull=True).only("pk").iterator():
        User.objects.filter(pk=user.pk).update(public_id=accounts.models.new_public_id())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.CharField(editable=False, max_length=22, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.CharField(
                default=accounts.models.new_public_id,
                editable=False,
                help_text=(
                    "The id others see (public profile, listings, messages): random, not the "
                    "row id."
                ),
                max_length=22,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="token_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.CreateModel(
            name="ApiSession",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("end_reason", models.CharField(blank=True, max_length=32)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "api_sessions",
                "indexes": [
                    models.Index(fields=["user", "ended_at"], name="api_sessions_user_ended_idx")
                ],
            },
        ),
    ]
