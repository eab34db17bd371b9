from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_payout_and_chargeback_notifications"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="type",
            field=models.CharField(
                choices=[
                    ("purchase", "Purchase"),
                    ("payment", "Payment"),
                    ("delivery", "Ticket delivered"),
                    ("message", "New message"),
                    ("dispute_opened", "Dispute opened"),
                    ("dispute_resolved", "Dispute resolved"),
                    ("payout", "Payout"),
                    ("listing_expired", "Listing expired"),
                    ("ticket_received", "Ticket received by transfer"),
                    ("refund", "Refund"),
                    ("listing_removed", "Listing taken off sale by staff"),
                    ("payout_account_needed", "Payout details needed"),
                    ("payout_failed", "Payout failed"),
                    ("chargeback_opened", "Payment disputed by the bank"),
                    ("chargeback_closed", "Bank dispute closed"),
                    ("event_cancelled", "Event cancelled"),
                    ("event_moved", "Event moved"),
                ],
                max_length=24,
            ),
        ),
    ]
