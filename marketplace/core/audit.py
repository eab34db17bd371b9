"""Writing the audit trail (ARCHITECTURE.md, rule 9), with the actions it
names (AuditAction, defined beside the model)."""

from django.db import transaction

from .models import AuditAction, AuditLog  # noqa: F401 (AuditAction: the services import it from here)
from .request_id import request_id_get


def audit_entry(*, actor, action, entity, changes=None, ip_address=None) -> AuditLog:
    """One state change of `entity` by `actor` (None for the system), not yet
    written: hand it, with the others of the same change, to audit_log_write."""
    return AuditLog(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        entity_type=entity._meta.model_name,
        entity_id=str(entity.pk),
        changes=changes or {},
        ip_address=ip_address,
        request_id=request_id_get(),
    )


def audit_status_entry(*, actor, action, entity, old, new, ip_address=None, **changes) -> AuditLog:
    """That `entity`'s status moved from `old` to `new` (plus any other
    `changes`), not yet written: for audit_log_write."""
    return audit_entry(
        actor=actor,
        action=action,
        entity=entity,
        changes={"status": {"from": old, "to": new}, **changes},
        ip_address=ip_address,
    )


def audit_log_write(*entries: AuditLog) -> list[AuditLog]:
    """Write the rows of one change (a purchase reserves a listing and its
    ticket and opens a transaction) in a single statement, in the order given.

    Must run inside the transaction of the change it records, so that the rows
    exist if and only if the change does. Each row carries the id of the
    request, or of the task, it was written for (marketplace.core.request_id).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("The audit trail must be written inside the change's transaction.")
    return AuditLog.objects.bulk_create(entries)


def audit_log_record(*, actor, action, entity, changes=None, ip_address=None) -> AuditLog:
    """Record one state change of `entity` by `actor` (None for the system),
    inside the transaction of the change (see audit_log_write)."""
    entry = audit_entry(
        actor=actor, action=action, entity=entity, changes=changes, ip_address=ip_address
    )
    return audit_log_write(entry)[0]


def audit_status_change(*, actor, action, entity, old, new, ip_address=None, **changes) -> AuditLog:
    """Record that `entity`'s status moved from `old` to `new` (plus any other `changes`)."""
    return audit_log_record(
        actor=actor,
        action=action,
        entity=entity,
        changes={"status": {"from": old, "to": new}, **changes},
        ip_address=ip_address,
    )
