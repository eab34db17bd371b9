from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditLog(models.Model):
    """One state change of a ticket, listing, transaction, dispute, payout or user.

    Append-only: rows are written by `marketplace.audit.audit_log_record` inside
    the transaction of the change they describe; on PostgreSQL a trigger refuses
    UPDATE and DELETE (migration 0002), and the admin shows them read-only.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the change; empty for the system (periodic jobs, webhooks).",
    )
    action = models.CharField(max_length=64)
    entity_type = models.CharField(max_length=32)
    entity_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text=(
            "The request (or the task it enqueued) that made the change, as in the logs "
            "and the X-Request-ID header; empty for commands run by hand."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "audit_logs"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id"], name="audit_entity_idx"),
            models.Index(fields=["action", "created_at"], name="audit_action_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.entity_type}#{self.entity_id}"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` an API client sent with a request that spends
    money (purchase, pay): the first request's answer, replayed to every
    retry with the same key (STYLE.md, 7). Kept IDEMPOTENCY_KEY_HOURS.

    The unique (user, key) pair is the guard: of several requests racing with
    one key, one inserts the row and does the work; the others find it.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body: the same key with another
    # request is refused rather than answered with someone else's result.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_keys_user_key"),
        ]

    def __str__(self):
        return f"{self.key} ({self.state})"
