"""Writing the audit trail (ARCHITECTURE.md, rule 9), with the actions it
names (AuditAction, defined beside the model)."""

from django.db import transaction

from .models import AuditAction, AuditLog  # noqa: F401 (AuditAction: the services import it from here)
from .request_id import request_id_get


def audit_log_record(*, actor, action, entity, changes=None, ip_address=None) -> AuditLog:
    """Record one state change of `entity` by `actor` (None for the system).

    Must run inside the transaction of the change it records, so that the row
    exists if and only if the change does. The row carries the id of the
    request, or of the task, it was written for (marketplace.core.request_id).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log_record must run inside the change's transaction.")
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        entity_type=entity._meta.model_name,
        entity_id=str(entity.pk),
        changes=changes or {},
        ip_address=ip_address,
        request_id=request_id_get(),
    )


def audit_status_change(*, actor, action, entity, old, new, ip_address=None, **changes) -> AuditLog:
    """Record that `entity`'s status moved from `old` to `new` (plus any other `changes`)."""
    return audit_log_record(
        actor=actor,
        action=action,
        entity=entity,
        changes={"status": {"from": old, "to": new}, **changes},
        ip_address=ip_address,
    )
