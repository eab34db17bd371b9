"""Uploading a ticket, giving it to someone else, and opening its file.

Each write is one database transaction that completes or changes nothing
(ARCHITECTURE.md, rule 11) and records what it changed in the audit trail
(rule 9). The listing and payment services move tickets through listed,
reserved and sold; these services own upload and transfer.
"""

from .transfer import ticket_file_open, ticket_transfer
from .upload import ticket_upload

__all__ = ["ticket_file_open", "ticket_transfer", "ticket_upload"]
