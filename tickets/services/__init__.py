"""Uploading a ticket, giving it to someone else, and opening its file.

Each write is one database transaction that completes or changes nothing
(ARCHITECTURE.md, rule 11) and records what it changed in the audit trail
(rule 9). The listing and payment services move tickets through listed,
reserved and sold; these services own upload, staff review and transfer.
"""

from .review import ticket_file_open_for_review, ticket_review_approve, ticket_review_reject
from .transfer import (
    ticket_file_open,
    ticket_transfer,
    ticket_transfer_cancel,
    ticket_transfer_claim,
    ticket_transfer_get_by_code,
    ticket_transfers_expire,
)
from .upload import ticket_upload

__all__ = [
    "ticket_file_open",
    "ticket_file_open_for_review",
    "ticket_review_approve",
    "ticket_review_reject",
    "ticket_transfer",
    "ticket_transfer_cancel",
    "ticket_transfer_claim",
    "ticket_transfer_get_by_code",
    "ticket_transfers_expire",
    "ticket_upload",
]
