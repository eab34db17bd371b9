"""An account's erasure may scrub the personal values of its audit rows.

The audit trail stays append-only (0002): the one new update allowed is the
erasure of a deleted account's personal values (marketplace.privacy.deletion),
which changes only a row's `changes` and `ip_address`, and only inside a
transaction that switched the setting encore.audit_erasure on for itself.
The ids, action and time of every row stay. Also: the action "user.deleted".
"""

from django.db import migrations, models

ALLOW_ERASURE = """
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND current_setting('encore.audit_erasure', true) = 'on'
       AND (to_jsonb(NEW) - 'changes' - 'ip_address')
           = (to_jsonb(OLD) - 'changes' - 'ip_address') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def allow_erasure(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_ERASURE, params=None)


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0008_audit_waitlist'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditlog',
            name='action',
            field=models.CharField(choices=[('dispute.chargeback_opened', 'Dispute: chargeback opened'), ('dispute.opened', 'Dispute: opened'), ('dispute.rejected', 'Dispute: rejected'), ('dispute.resolved_refund', 'Dispute: resolved refund'), ('dispute.resolved_release', 'Dispute: resolved release'), ('event.cancelled', 'Event: cancelled'), ('event.cancellation_finished', 'Event: cancellation finished'), ('event.created', 'Event: created'), ('event.moved', 'Event: moved'), ('event.tiers_changed', 'Event: tiers changed'), ('event.updated', 'Event: updated'), ('listing.cancelled', 'Listing: cancelled'), ('listing.created', 'Listing: created'), ('listing.expired', 'Listing: expired'), ('listing.moderated', 'Listing: moderated'), ('listing.price_changed', 'Listing: price changed'), ('listing.released', 'Listing: released'), ('listing_report.appeal_decided', 'Listing report: appeal decided'), ('listing_report.appealed', 'Listing report: appealed'), ('listing_report.rejected', 'Listing report: rejected'), ('listing_report.upheld', 'Listing report: upheld'), ('listing_report.created', 'Listing report: created'), ('listing.reserved', 'Listing: reserved'), ('listing.sold', 'Listing: sold'), ('listing.withdrawn', 'Listing: withdrawn'), ('message.contact_masked', 'Message: contact masked'), ('payout.awaiting_account', 'Payout: awaiting account'), ('payout.cancelled', 'Payout: cancelled'), ('payout.failed', 'Payout: failed'), ('payout.frozen', 'Payout: frozen'), ('payout.held', 'Payout: held'), ('payout.paid', 'Payout: paid'), ('payout.reversed', 'Payout: reversed'), ('payout.scheduled', 'Payout: scheduled'), ('payout.unfrozen', 'Payout: unfrozen'), ('payout_account.created', 'Payout account: created'), ('payout_account.updated', 'Payout account: updated'), ('ticket.delivered', 'Ticket: delivered'), ('ticket.duplicate_barcode_refused', 'Ticket: duplicate barcode refused'), ('ticket.duplicate_file_refused', 'Ticket: duplicate file refused'), ('ticket.file_opened_by_staff', 'Ticket: file opened by staff'), ('ticket.listed', 'Ticket: listed'), ('ticket.released', 'Ticket: released'), ('ticket.reserved', 'Ticket: reserved'), ('ticket.review_approved', 'Ticket: review approved'), ('ticket.review_rejected', 'Ticket: review rejected'), ('ticket.sold', 'Ticket: sold'), ('ticket.transfer_cancelled', 'Ticket: transfer cancelled'), ('ticket.transfer_expired', 'Ticket: transfer expired'), ('ticket.transfer_offered', 'Ticket: transfer offered'), ('ticket.transferred', 'Ticket: transferred'), ('ticket.unlisted', 'Ticket: unlisted'), ('ticket.uploaded', 'Ticket: uploaded'), ('ticket.voided', 'Ticket: voided'), ('transaction.authentication_failed', 'Transaction: authentication failed'), ('transaction.authentication_required', 'Transaction: authentication required'), ('transaction.auto_confirmed', 'Transaction: auto confirmed'), ('transaction.cancelled', 'Transaction: cancelled'), ('transaction.chargeback_won', 'Transaction: chargeback won'), ('transaction.charged_back', 'Transaction: charged back'), ('transaction.confirmed', 'Transaction: confirmed'), ('transaction.created', 'Transaction: created'), ('transaction.disputed', 'Transaction: disputed'), ('transaction.event_cancelled_paid_out', 'Transaction: event cancelled, seller already paid'), ('transaction.event_moved_notified', 'Transaction: buyer told the event moved'), ('transaction.late_payment_received', 'Transaction: late payment received'), ('transaction.late_payment_refunded', 'Transaction: late payment refunded'), ('transaction.paid', 'Transaction: paid'), ('transaction.payment_mismatch', 'Transaction: payment mismatch'), ('transaction.refunded', 'Transaction: refunded'), ('transaction.refunded_by_bank', 'Transaction: refunded by bank'), ('transaction.released_by_staff', 'Transaction: released by staff'), ('transaction.reservation_extended', 'Transaction: reservation extended'), ('trader_declaration.approved', 'Trader declaration: approved'), ('trader_declaration.rejected', 'Trader declaration: rejected'), ('trader_declaration.saved', 'Trader declaration: saved'), ('user.email_changed', 'User: email changed'), ('user.deleted', 'User: account deleted'), ('user.email_verified', 'User: email verified'), ('user.registered', 'User: registered'), ('user.sessions_revoked', 'User: sessions revoked'), ('user.status_changed', 'User: status changed'), ('waitlist.held', 'Waiting list: ticket held'), ('waitlist.joined', 'Waiting list: joined'), ('waitlist.changed', 'Waiting list: entry changed'), ('waitlist.left', 'Waiting list: left'), ('waitlist.moved_back', 'Waiting list: moved to the back'), ('waitlist.offer_accepted', 'Waiting list: offer accepted'), ('waitlist.offer_declined', 'Waiting list: offer declined'), ('waitlist.offer_expired', 'Waiting list: offer expired'), ('waitlist.offer_withdrawn', 'Waiting list: offer withdrawn'), ('waitlist.offered', 'Waiting list: offered'), ('waitlist.passed_on', 'Waiting list: passed on'), ('waitlist.raffle_drawn', 'Waiting list: raffle drawn'), ('waitlist.raffle_opened', 'Waiting list: raffle opened'), ('waitlist.released', 'Waiting list: released to everyone')], max_length=64),
        ),
        migrations.RunPython(allow_erasure, append_only),
    ]
