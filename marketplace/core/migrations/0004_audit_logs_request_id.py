"""The audit trail records the request id of each change (marketplace.core.request_id).

A nullable column: PostgreSQL adds it without rewriting the table, and the
append-only trigger of 0002 (which refuses UPDATE and DELETE) is not involved.
The index lets staff find a request's rows from a log line; on PostgreSQL it
is built CONCURRENTLY, so the audit writes of every purchase go on meanwhile.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["request_id"], name="audit_request_idx")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_request_idx ON audit_logs (request_id)"
        )
    else:
        schema_editor.add_index(apps.get_model("marketplace", "AuditLog"), INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS audit_request_idx")
    else:
        schema_editor.remove_index(apps.get_model("marketplace", "AuditLog"), INDEX)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("marketplace", "0003_idempotency_keys")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="request_id",
            field=models.CharField(
                blank=True,
                help_text=(
                    "The request (or the task it enqueued) that made the change, as in the logs "
                    "and the X-Request-ID header; empty for commands run by hand."
                ),
                max_length=64,
                null=True,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_index, drop_index)],
            state_operations=[migrations.AddIndex(model_name="auditlog", index=INDEX)],
        ),
    ]
