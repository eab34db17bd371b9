"""The fair waiting list of an event (ARCHITECTURE.md, rule 13).

A fan's entry waits in line by `position` (join time, or their place in a
raffle's draw). A listing of the event is not shown publicly while fans match
it: it is held (an offer with no fan yet) and offered to the first matching
fan for an offer window. Written only by listings.waitlist.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WaitlistEntry(models.Model):
    """One fan waiting for tickets of one event (one entry per account and event;
    leaving and joining again reuses it, at the back of the line)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        LEFT = "left", _("Left the list")

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    fan = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    max_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    section = models.CharField(max_length=50, blank=True)
    ticket_type = models.CharField(max_length=50, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    joined_at = models.DateTimeField()
    # The place in line: microseconds since the epoch of the join (or of the move
    # to the back), or a raffle's opening plus the place drawn. NULL while the
    # entry waits for its raffle's draw: nobody in an undrawn raffle gets offers.
    position = models.BigIntegerField(null=True, blank=True)
    raffle = models.ForeignKey(
        "WaitlistRaffle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    # Offers let lapse since the last move to the back (two move it there).
    lapses = models.PositiveSmallIntegerField(default=0)
    # Raffles of this event the fan was drawn in and got no ticket from: one
    # extra draw weight in the next one.
    raffles_lost = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "waitlist_entries"
        ordering = ["position", "id"]
        verbose_name_plural = _("waiting list entries")
        indexes = [
            models.Index(
                fields=["event", "position", "id"],
                condition=Q(state="waiting"),
                name="waitlist_entries_line_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "fan"], name="waitlist_entries_one_per_fan"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="waitlist_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(max_price__isnull=True) | Q(max_price__gte=0),
                name="waitlist_max_price_gte_0",
            ),
        ]

    def __str__(self):
        return f"Waiting list entry #{self.pk} ({self.quantity} for event #{self.event_id})"


class WaitlistOffer(models.Model):
    """A listing held for the waiting list: first with no fan (HELD: just listed
    or released, or waiting for a raffle's draw), then offered to one fan at a
    time until `expires_at`. A listing has at most one held or open offer."""

    class State(models.TextChoices):
        HELD = "held", _("Held for the waiting list")
        OPEN = "open", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RELEASED = "released", _("Released to everyone")

    # The states that hold the listing (its status is pending meanwhile).
    HOLDING_STATES = (State.HELD, State.OPEN)

    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    entry = models.ForeignKey(
        WaitlistEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.HELD)
    # HELD: when it is passed on at the latest (a raffle's end); OPEN: the offer's end.
    expires_at = models.DateTimeField()
    offered_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "waitlist_offers"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(state__in=["held", "open"]),
                name="waitlist_offers_due_idx",
            ),
            models.Index(fields=["entry", "state"], name="waitlist_offers_entry_idx"),
        ]
        constraints = [
            # At most one fan holds an offer on a listing at a time.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(state__in=["held", "open"]),
                name="waitlist_offers_one_per_listing",
            ),
            # A fan is offered a listing once.
            models.UniqueConstraint(
                fields=["listing", "entry"],
                condition=Q(entry__isnull=False),
                name="waitlist_offers_once_per_fan",
            ),
            # Offered, accepted, declined or expired: always to one fan.
            models.CheckConstraint(
                condition=Q(entry__isnull=False) | Q(state__in=["held", "released", "withdrawn"]),
                name="waitlist_offers_fan_unless_held",
            ),
        ]

    def __str__(self):
        return f"Waiting list offer #{self.pk} of listing #{self.listing_id} ({self.state})"


class WaitlistRaffle(models.Model):
    """A window in which fans who join an event's waiting list are drawn in a
    random order (seeded, the seed in the audit trail) instead of by join time,
    placed ahead of those who join later."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    seed = models.CharField(max_length=64, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    entrants = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "waitlist_raffles"
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(drawn_at__isnull=True),
                name="waitlist_raffles_one_undrawn_per_event",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="waitlist_raffles_closes_after_opening",
            ),
        ]

    def __str__(self):
        return f"Raffle #{self.pk} of event #{self.event_id}"
