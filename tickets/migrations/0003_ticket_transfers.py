import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TICKET_STATUSES = [
    ("available", "Available"),
    ("listed", "Listed"),
    ("reserved", "Reserved"),
    ("sold", "Sold"),
    ("transferred", "Transferred"),
    ("transfer_pending", "Transfer pending"),
    ("void", "Void"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_ticket_evidence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="status",
            field=models.CharField(choices=TICKET_STATUSES, default="available", max_length=16),
        ),
        migrations.CreateModel(
            name="TicketTransfer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recipient_email", models.EmailField(max_length=254)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be claimed"),
                            ("claimed", "Claimed"),
                            ("cancelled", "Cancelled by the sender"),
                            ("expired", "Expired"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("code_hash", models.CharField(editable=False, max_length=64, unique=True)),
                (
                    "ticket_status_before",
                    models.CharField(choices=TICKET_STATUSES, max_length=16),
                ),
                ("expires_at", models.DateTimeField()),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "recipient",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transfers_received",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "sender",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transfers_sent",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transfers",
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "db_table": "ticket_transfers",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["status", "expires_at"], name="ticket_transfers_due_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "pending")),
                        fields=("ticket",),
                        name="ticket_transfers_one_pending",
                    )
                ],
            },
        ),
    ]
