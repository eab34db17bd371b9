"""Creating and editing events.

Only organizers, admins and staff create events; an organizer edits only their
own (ARCHITECTURE.md, rule 10). Each service is one database transaction that
completes or changes nothing (rule 11) and writes its audit row (rule 9).
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import user_can_organize, user_can_trade
from listings.event_copies import EVENT_FIELDS_COPIED, listings_follow_event
from listings.models import Listing
from listings.pricing import price_limits, resale_rule_for
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.json_values import MESSAGES, json_value_problem
from marketplace.core.money import CENT, money_str, to_decimal
from marketplace.core.queue import enqueue_named_on_commit
from marketplace.core.versions import catalogue_changed

from .cache import upcoming_events_invalidate
from .images import image_url_check, picture_files_delete, picture_prepare, picture_store
from .models import TIER_AMOUNT_MAX, Event, PriceTier
from .selectors import event_can_edit
from .zones import country_needs_time_zone, country_time_zone, time_zone_is_valid

# The fields event_update may change; currency and organizer are fixed at creation
# (listings were priced in that currency, and ownership decides who may edit).
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "event_date",
        "event_time",
        "location",
        "venue_name",
        "city",
        "country",
        "postal_code",
        "latitude",
        "longitude",
        "status",
        "category",
        "metadata",
        "image_url",
        "time_zone",
        "venue_capacity",
        "primary_purchase_limit",
        # Staff only (event_update refuses it from anyone else).
        "resale_at_original_price",
    }
)

# An event is created as a draft or straight on sale, never already over.
CREATION_STATUSES = (Event.Status.DRAFT, Event.Status.PUBLISHED)

# from -> the statuses it may move to; cancelled and completed are final.
STATUS_TRANSITIONS = {
    Event.Status.DRAFT: {Event.Status.PUBLISHED, Event.Status.CANCELLED},
    Event.Status.PUBLISHED: {Event.Status.CANCELLED, Event.Status.COMPLETED, Event.Status.DRAFT},
    Event.Status.CANCELLED: set(),
    Event.Status.COMPLETED: set(),
}

REQUIRED_TEXT_FIELDS = ("name", "venue_name", "city")
_REQUIRED_MESSAGES = {
    "name": gettext_lazy("The name is required."),
    "venue_name": gettext_lazy("The venue name is required."),
    "city": gettext_lazy("The city is required."),
}
_RANGE_MESSAGES = {
    "latitude": gettext_lazy("The latitude must be between -%(bound)s and %(bound)s."),
    "longitude": gettext_lazy("The longitude must be between -%(bound)s and %(bound)s."),
}
OPTIONAL_TEXT_FIELDS = ("description", "location", "postal_code", "image_url")

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# Free-form metadata: bounded, and storable by PostgreSQL's jsonb.
METADATA_MAX_CHARS = 10_000
METADATA_MAX_DEPTH = 10


def _json_value(value):
    """A field's value as the audit log's JSON stores it."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _starts_at(*, event_date: datetime.date, event_time: datetime.time | None, time_zone: str):
    # The same rule as Event.starts_at, on values not yet saved.
    return Event(event_date=event_date, event_time=event_time, time_zone=time_zone).starts_at


def _check_starts_in_future(*, event_date, event_time, time_zone) -> None:
    start = _starts_at(event_date=event_date, event_time=event_time, time_zone=time_zone)
    if start <= timezone.now():
        raise ValidationFailed(
            _("The event must start in the future."),
            details={"field": "event_date", "reason": "DATE_IN_PAST"},
        )


def _clean_fields(fields: dict) -> dict:
    """Normalise and check the business rules on the values given (types are the caller's).

    Raises ValidationFailed for a blank required text, an unknown category or
    status, a country that is not an ISO alpha-2 code, or coordinates out of
    range (the database would refuse those too, but as a 500).
    """
    fields = dict(fields)
    for name in REQUIRED_TEXT_FIELDS:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
            if not fields[name]:
                raise ValidationFailed(
                    str(_REQUIRED_MESSAGES[name]),
                    details={"field": name, "reason": "REQUIRED"},
                )
    for name in OPTIONAL_TEXT_FIELDS:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "country" in fields:
        fields["country"] = (fields["country"] or "").strip().upper()
        if not _COUNTRY.match(fields["country"]):
            raise ValidationFailed(
                _("The country must be a two-letter ISO code, such as IE."),
                details={"field": "country", "reason": "INVALID_COUNTRY"},
            )
        if fields["country"] not in settings.ENCORE_COUNTRIES:
            raise ValidationFailed(
                _("Encore does not sell tickets for events in this country."),
                details={"field": "country", "reason": "UNSUPPORTED_COUNTRY"},
            )
    if "category" in fields and fields["category"] not in Event.Category.values:
        raise ValidationFailed(
            _("Unknown category."),
            details={
                "field": "category",
                "reason": "INVALID_CHOICE",
                "choices": list(Event.Category.values),
            },
        )
    if "status" in fields and fields["status"] not in Event.Status.values:
        raise ValidationFailed(
            _("Unknown status."),
            details={"field": "status", "reason": "INVALID_STATUS"},
        )
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if fields.get(name) is not None and not -bound <= fields[name] <= bound:
            raise ValidationFailed(
                _RANGE_MESSAGES[name] % {"bound": bound},
                details={"field": name, "reason": "OUT_OF_RANGE"},
            )
    if "time_zone" in fields:
        fields["time_zone"] = (fields["time_zone"] or "").strip()
        if fields["time_zone"] and not time_zone_is_valid(fields["time_zone"]):
            raise ValidationFailed(
                _("Unknown time zone: use an IANA name, such as Europe/Berlin."),
                details={"field": "time_zone", "reason": "INVALID_TIME_ZONE"},
            )
    _resale_fields_check(fields)
    if "metadata" in fields and fields["metadata"] is None:
        fields["metadata"] = {}
    if "metadata" in fields:
        _metadata_check(fields["metadata"])
    return fields


# --- Resale rules: the venue's capacity, the designation, the per-seller limit -----

VENUE_CAPACITY_MAX = 1_000_000
PURCHASE_LIMIT_MAX = 100


def _resale_fields_check(fields: dict) -> None:
    capacity = fields.get("venue_capacity")
    if capacity is not None and (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= VENUE_CAPACITY_MAX
    ):
        raise ValidationFailed(
            _("The venue's capacity is a number of people, 1 to %(max)s.")
            % {"max": f"{VENUE_CAPACITY_MAX:,}"},
            details={"field": "venue_capacity", "reason": "OUT_OF_RANGE"},
        )
    if "primary_purchase_limit" in fields:
        limit = fields["primary_purchase_limit"]
        is_number = isinstance(limit, int) and not isinstance(limit, bool)
        if not is_number or not 1 <= limit <= PURCHASE_LIMIT_MAX:
            raise ValidationFailed(
                _("The purchase limit is 1 to %(max)s tickets.") % {"max": PURCHASE_LIMIT_MAX},
                details={"field": "primary_purchase_limit", "reason": "OUT_OF_RANGE"},
            )
    if "resale_at_original_price" in fields and not isinstance(
        fields["resale_at_original_price"], bool
    ):
        raise ValidationFailed(
            _("Say yes or no."), details={"field": "resale_at_original_price", "reason": "INVALID"}
        )


def event_designated_by_venue(*, country: str, venue_capacity: int | None) -> bool:
    """Whether the law designates an event at this venue (resale at most at the
    original price): Ireland's Sale of Tickets Act 2021 covers venues of 1,000 people
    or more (RESALE_DESIGNATED_VENUE_CAPACITY)."""
    threshold = settings.RESALE_DESIGNATED_VENUE_CAPACITY.get((country or "").upper())
    return threshold is not None and venue_capacity is not None and venue_capacity >= threshold


def _resale_flag_check_actor(*, actor, fields: dict) -> None:
    # A designation is a legal status (the Minister's, or the venue's size): staff
    # record it; an organizer sees it but cannot lift it, nor set it.
    if "resale_at_original_price" in fields and not actor.is_staff:
        raise PermissionDenied(
            _(
                "Only Encore's staff change whether an event is designated (resale at most at "
                "the original price)."
            ),
            details={"field": "resale_at_original_price", "reason": "STAFF_ONLY"},
        )


def _open_listings_over_new_cap(*, event: Event) -> bool:
    """Whether an open listing of `event` (with its new values, not yet saved) is priced
    above the cap the event's new rule allows."""
    rule = resale_rule_for(event)
    listings = Listing.objects.filter(
        ticket__event=event, status__in=Listing.OPEN_STATUSES
    ).select_related("ticket")
    return any(
        listing.price
        > price_limits(
            face_value=listing.ticket.face_value,
            original_fees=listing.ticket.original_fees,
            rule=rule,
        ).max_price
        for listing in listings
    )


def _time_zone_for(*, country: str, time_zone: str) -> str:
    """The zone an event takes: the one named, else its country's; a country with
    several zones (US, AU, ES, PT...) must name one. An unknown country falls back
    to the site's TIME_ZONE."""
    if time_zone:
        return time_zone
    if zone := country_time_zone(country):
        return zone
    if country_needs_time_zone(country):
        raise ValidationFailed(
            _("%(country)s has several time zones: choose the venue's.") % {"country": country},
            details={"field": "time_zone", "reason": "REQUIRED", "country": country},
        )
    return settings.TIME_ZONE


def _metadata_check(metadata) -> None:
    if not isinstance(metadata, dict):
        raise ValidationFailed(
            _("Metadata must be an object."),
            details={"field": "metadata", "reason": "NOT_AN_OBJECT"},
        )
    bounds = {"max_depth": METADATA_MAX_DEPTH, "max_chars": METADATA_MAX_CHARS}
    problem = json_value_problem(metadata, **bounds)
    if problem:
        raise ValidationFailed(
            MESSAGES[problem].format(**bounds), details={"field": "metadata", "reason": problem}
        )


def event_create(
    *,
    organizer,
    name: str,
    event_date: datetime.date,
    venue_name: str,
    city: str,
    country: str,
    description: str = "",
    event_time: datetime.time | None = None,
    location: str = "",
    postal_code: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    status: str = Event.Status.DRAFT,
    category: str = Event.Category.OTHER,
    metadata: dict | None = None,
    image_url: str = "",
    currency: str | None = None,
    time_zone: str = "",
    venue_capacity: int | None = None,
    primary_purchase_limit: int = 6,
    resale_at_original_price: bool | None = None,
    tiers: list[dict] | None = None,
    image=None,
    ip_address: str | None = None,
) -> Event:
    """Create an event organised by `organizer`, as a draft or published, with
    its price tiers (`tiers`: [{name, face_value, fees}], see event_tiers_set)
    and its picture (`image`, an uploaded file: events/images.py).
    `time_zone` is the venue's IANA zone; blank takes the country's.

    The event is flagged resale_at_original_price when the law designates its
    venue (event_designated_by_venue: Ireland, 1,000 people or more), or when
    staff say so (`resale_at_original_price`, staff only: PermissionDenied
    STAFF_ONLY for anyone else). `primary_purchase_limit` is the most tickets one
    fan could buy from the organizer: no seller lists more on Encore.

    Raises PermissionDenied (not an organizer, admin or staff, or the account is
    suspended or banned) or ValidationFailed (status other than draft or
    published, start not in the future, blank name/venue/city, unknown
    category, bad country or currency, an unknown time zone or none for a
    country with several, a tier refused by event_tiers_set, a picture
    refused by picture_prepare, an image_url outside EVENT_IMAGE_HOSTS).
    """
    if not (user_can_organize(user=organizer) or organizer.is_staff):
        raise PermissionDenied(_("Only organizers can create events."))
    if not user_can_trade(user=organizer):
        raise PermissionDenied(_("Your account cannot create events at the moment."))
    resale = {} if resale_at_original_price is None else {"resale_at_original_price": None}
    _resale_flag_check_actor(actor=organizer, fields=resale)
    if status not in CREATION_STATUSES:
        raise ValidationFailed(
            _("A new event is a draft or published."),
            details={"field": "status", "reason": "INVALID_STATUS"},
        )
    fields = _clean_fields(
        {
            "name": name,
            "description": description,
            "event_date": event_date,
            "event_time": event_time,
            "location": location,
            "venue_name": venue_name,
            "city": city,
            "country": country,
            "postal_code": postal_code,
            "latitude": latitude,
            "longitude": longitude,
            "status": status,
            "category": category,
            "metadata": metadata,
            "image_url": image_url,
            "time_zone": time_zone,
            "venue_capacity": venue_capacity,
            "primary_purchase_limit": primary_purchase_limit,
        }
    )
    fields["time_zone"] = _time_zone_for(country=fields["country"], time_zone=fields["time_zone"])
    fields["resale_at_original_price"] = (
        bool(resale_at_original_price)
        if resale_at_original_price is not None
        else event_designated_by_venue(
            country=fields["country"], venue_capacity=fields["venue_capacity"]
        )
    )
    fields["currency"] = (currency or settings.DEFAULT_CURRENCY).strip().upper()
    if not _CURRENCY.match(fields["currency"]):
        raise ValidationFailed(
            _("The currency must be a three-letter ISO code, such as EUR."),
            details={"field": "currency", "reason": "INVALID_CURRENCY"},
        )
    _check_starts_in_future(
        event_date=event_date, event_time=event_time, time_zone=fields["time_zone"]
    )
    tiers = _tiers_clean(tiers) if tiers is not None else None
    image_url_check(fields["image_url"])
    prepared = picture_prepare(image) if image else None

    with transaction.atomic():
        event = Event.objects.create(organizer=organizer, **fields)
        if prepared is not None:
            # The files' path holds the event's id: stored once the row exists.
            event.picture = picture_store(event_id=event.pk, prepared=prepared)
            event.save(update_fields=["picture"])
            fields["picture"] = {"digest": prepared.digest}
        audit_log_record(
            actor=organizer,
            action=AuditAction.EVENT_CREATED,
            entity=event,
            changes={
                "organizer_id": organizer.pk,
                **{key: _json_value(value) for key, value in fields.items()},
            },
            ip_address=ip_address,
        )
        if tiers:
            _tiers_apply(actor=organizer, event=event, tiers=tiers, ip_address=ip_address)
        transaction.on_commit(upcoming_events_invalidate)
        catalogue_changed(event_id=event.pk)
    return event


def _has_open_listings(event: Event) -> bool:
    return Listing.objects.filter(ticket__event=event, status__in=Listing.OPEN_STATUSES).exists()


def _check_transition(*, event: Event, old: str, new: str) -> None:
    if new not in STATUS_TRANSITIONS[old]:
        raise ValidationFailed(
            _("An event cannot move from %(old)s to %(new)s.") % {"old": old, "new": new},
            details={"field": "status", "reason": "INVALID_TRANSITION", "from": old, "to": new},
        )
    if new == Event.Status.DRAFT and _has_open_listings(event):
        # Unpublishing would strand tickets on sale or in checkout for an event
        # nobody can see; the organizer cancels the event instead.
        raise ValidationFailed(
            _("This event has tickets on sale or being bought: it cannot go back to draft."),
            details={"field": "status", "reason": "HAS_LISTINGS", "from": old, "to": new},
        )


def event_update(
    *,
    actor,
    event: Event,
    ip_address: str | None = None,
    tiers: list[dict] | None = None,
    image=None,
    image_remove: bool = False,
    **fields,
) -> Event:
    """Change some of `event`'s fields, by its organizer, an admin or staff; with
    `tiers`, its price tiers too (the whole list, as event_tiers_set takes it);
    with `image` (an uploaded file), a new picture; with `image_remove`, none
    (the old picture's files are deleted once the change is committed).

    Writes (and audits) only the fields whose value really changes; with none,
    nothing is written. Raises ValueError (a field that is not editable: a
    programming error), PermissionDenied (someone else's event), or
    ValidationFailed (status transition not allowed, unpublishing an event with
    open listings, new start not in the future, a value event_create refuses,
    or tiers event_tiers_set refuses, a picture picture_prepare refuses).
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"event_update cannot change: {', '.join(sorted(unknown))}.")
    if not event_can_edit(user=actor, event=event):
        raise PermissionDenied(_("You can only edit your own events."))
    _resale_flag_check_actor(actor=actor, fields=fields)
    fields = _clean_fields(fields)
    tiers = _tiers_clean(tiers) if tiers is not None else None
    prepared = picture_prepare(image) if image else None

    with transaction.atomic():
        # Lock the row: a concurrent update (another tab, staff in the admin)
        # would otherwise check its transition against a status we are changing.
        locked = Event.objects.select_for_update().get(pk=event.pk)
        new_country = fields.get("country", locked.country) != locked.country
        if new_country or "time_zone" in fields:
            # A blank zone, or a new country without one, takes the country's.
            fields["time_zone"] = _time_zone_for(
                country=fields.get("country", locked.country),
                time_zone=fields.get("time_zone", ""),
            )
        venue_moved = {"country", "venue_capacity"} & {
            name for name, value in fields.items() if getattr(locked, name) != value
        }
        if (
            venue_moved
            and "resale_at_original_price" not in fields
            and event_designated_by_venue(
                country=fields.get("country", locked.country),
                venue_capacity=fields.get("venue_capacity", locked.venue_capacity),
            )
        ):
            # A venue the law designates designates the event; the designation is
            # never lifted by itself (staff do it, as they set it).
            fields["resale_at_original_price"] = True
        changed = {name: value for name, value in fields.items() if getattr(locked, name) != value}
        if "image_url" in changed:
            image_url_check(changed["image_url"])
        if "status" in changed:
            _check_transition(event=locked, old=locked.status, new=changed["status"])
        if "resale_at_original_price" in changed:
            _resale_flag_check_under_listings(
                event=locked, at_original_price=changed["resale_at_original_price"]
            )
        if {"category", "country"} & set(changed) and _has_open_listings(locked):
            # The caps depend on both: listings priced under the old cap could
            # sit above the new one. The seller relists after the change.
            raise ValidationFailed(
                _("The category and country cannot change while tickets are on sale."),
                details={
                    "field": next(iter({"category", "country"} & set(changed))),
                    "reason": "HAS_LISTINGS",
                },
            )
        moved = {"event_date", "event_time", "time_zone"} & set(changed)
        if moved or changed.get("status") == Event.Status.PUBLISHED:
            # Publishing a draft whose date has passed is refused too.
            _check_starts_in_future(
                event_date=changed.get("event_date", locked.event_date),
                event_time=changed.get("event_time", locked.event_time),
                time_zone=changed.get("time_zone", locked.time_zone),
            )
        old_start = locked.starts_at
        _picture_change(event=locked, prepared=prepared, remove=image_remove, changed=changed)
        if changed:
            audit_changes = {
                name: {"from": _json_value(getattr(locked, name)), "to": _json_value(value)}
                for name, value in changed.items()
            }
            for name, value in changed.items():
                setattr(locked, name, value)
            stamped = _stamp_cancelled_or_moved(event=locked, changed=changed, old_start=old_start)
            locked.save(update_fields=[*changed, *stamped, "updated_at"])
            if EVENT_FIELDS_COPIED & set(changed):
                # The search reads these from the listings: they follow at once.
                listings_follow_event(event=locked)
            if moved:
                _listings_follow_start(event=locked, old_start=old_start)
            audit_log_record(
                actor=actor,
                action=AuditAction.EVENT_UPDATED,
                entity=locked,
                changes=audit_changes,
                ip_address=ip_address,
            )
            if stamped:
                _cancelled_or_moved_record(
                    actor=actor, event=locked, old_start=old_start, ip_address=ip_address
                )
            transaction.on_commit(upcoming_events_invalidate)
            catalogue_changed(event_id=locked.pk)
        if tiers is not None:
            _tiers_apply(actor=actor, event=locked, tiers=tiers, ip_address=ip_address)
    event.refresh_from_db()
    return event


def _picture_change(*, event: Event, prepared, remove: bool, changed: dict) -> None:
    """Put a new picture (stored now, under a new content hash) or none in
    `changed`; the old picture's files go once the change is committed."""
    old = event.picture or {}
    if prepared is not None and prepared.digest != old.get("digest"):
        changed["picture"] = picture_store(event_id=event.pk, prepared=prepared)
    elif prepared is None and remove and old:
        changed["picture"] = {}
    if "picture" in changed and old:
        transaction.on_commit(lambda: picture_files_delete(old))


# The payments jobs that settle a cancelled event's sales and tell its buyers of
# a move, published by name: events must not import payments (docs/architecture.md).
EVENT_CANCELLATION_TASK = "payments.tasks.event_cancellation_run"
EVENT_MOVED_TASK = "payments.tasks.event_moved_notify"
RESUME_FALLBACK = "the periodic job payments.tasks.event_changes_resume picks it up"


def _stamp_cancelled_or_moved(*, event: Event, changed: dict, old_start) -> list[str]:
    """Set cancelled_at when the event is cancelled, moved_at when the start of
    an event on sale moves (buyers in escrow may then choose a refund);
    returns the fields set."""
    now = timezone.now()
    if changed.get("status") == Event.Status.CANCELLED:
        event.cancelled_at = now
        return ["cancelled_at"]
    if event.status == Event.Status.PUBLISHED and event.starts_at != old_start:
        event.moved_at = now
        return ["moved_at"]
    return []


def _cancelled_or_moved_record(*, actor, event: Event, old_start, ip_address) -> None:
    """Audit the cancellation or the move, and ask payments, once this commits,
    to settle the sales (cancelled: ARCHITECTURE.md, rule 12) or to tell the
    buyers in escrow (moved). The job is resumable and runs each item once."""
    if event.status == Event.Status.CANCELLED:
        audit_log_record(
            actor=actor,
            action=AuditAction.EVENT_CANCELLED,
            entity=event,
            changes={"cancelled_at": event.cancelled_at.isoformat()},
            ip_address=ip_address,
        )
        enqueue_named_on_commit(EVENT_CANCELLATION_TASK, event.pk, fallback=RESUME_FALLBACK)
        return
    audit_log_record(
        actor=actor,
        action=AuditAction.EVENT_MOVED,
        entity=event,
        changes={
            "starts_at": {"from": old_start.isoformat(), "to": event.starts_at.isoformat()},
            "moved_at": event.moved_at.isoformat(),
        },
        ip_address=ip_address,
    )
    enqueue_named_on_commit(EVENT_MOVED_TASK, event.pk, fallback=RESUME_FALLBACK)


def _resale_flag_check_under_listings(*, event: Event, at_original_price: bool) -> None:
    """Refuse a change of the resale rule that an open listing's price would break
    (it would sit above the new cap): the seller lowers it, or withdraws it, first.
    A change every open listing already meets goes through."""
    was = event.resale_at_original_price
    event.resale_at_original_price = at_original_price
    try:
        over = _open_listings_over_new_cap(event=event)
    finally:
        event.resale_at_original_price = was
    if over:
        raise ValidationFailed(
            _(
                "Tickets are on sale above the cap this change would set: their sellers must "
                "lower their prices first."
            ),
            details={"field": "resale_at_original_price", "reason": "HAS_LISTINGS"},
        )


def _listings_follow_start(*, event: Event, old_start: datetime.datetime) -> None:
    """The event moved (date, time or zone): open listings that expired at the old
    start expire at the new one, and none outlives the new start (ARCHITECTURE.md,
    rule 12)."""
    new_start = event.starts_at
    listings = Listing.objects.filter(
        Q(expires_at=old_start) | Q(expires_at__gt=new_start),
        ticket__event=event,
        status__in=Listing.OPEN_STATUSES,
    )
    for listing in listings.select_for_update():
        listing.expires_at = max(new_start, listing.listed_at)
        listing.save(update_fields=["expires_at", "updated_at"])


# --- Price tiers ------------------------------------------------------------------

# An event's declared prices: enough for any venue's price plan, few enough to read.
TIERS_MAX = 30
TIER_NAME_MAX = PriceTier._meta.get_field("name").max_length


def event_tiers_set(
    *, actor, event: Event, tiers: list[dict], ip_address: str | None = None
) -> list[PriceTier]:
    """Make `tiers` the event's price tiers, by its organizer, an admin or staff.

    Each tier is {name, face_value, fees (default 0)} and, to change an existing
    one, its `id`; a tier left out is removed. Tickets already uploaded keep the
    face value and fees they took from a tier, so a change never moves a price
    cap under a listing. Writes and audits only what changes ("event.tiers_changed").

    Raises PermissionDenied (someone else's event) or ValidationFailed with
    details {field: "tiers", reason, index, tier_field}: not a list, more than
    TIERS_MAX, a blank or repeated name, an amount that is not money (face value
    above zero, fees zero or more), an id of another event's tier, or removing a
    tier that tickets were uploaded for (TIER_IN_USE).
    """
    if not event_can_edit(user=actor, event=event):
        raise PermissionDenied(_("You can only edit your own events."))
    cleaned = _tiers_clean(tiers)
    with transaction.atomic():
        _tiers_apply(actor=actor, event=event, tiers=cleaned, ip_address=ip_address)
    return list(event.price_tiers.order_by("face_value", "id"))


def _tier_invalid(message: str, reason: str, index: int | None = None, tier_field=None, **extra):
    details = {"field": "tiers", "reason": reason, **extra}
    if index is not None:
        details["index"] = index
    if tier_field is not None:
        details["tier_field"] = tier_field
    return ValidationFailed(message, details=details)


# What is wrong with a tier's amount, said of the face value or of the fees.
_TIER_AMOUNT_MESSAGES = {
    "face_value": {
        "INVALID_NUMBER": gettext_lazy("Enter the tier's face value as an amount, e.g. 49.50."),
        "NOT_POSITIVE": gettext_lazy("The tier's face value must be more than zero."),
        "NEGATIVE": gettext_lazy("The tier's face value must be zero or more."),
        "TOO_LARGE": gettext_lazy("The tier's face value is higher than Encore accepts."),
        "TOO_MANY_DECIMALS": gettext_lazy("The tier's face value has at most two decimals."),
    },
    "fees": {
        "INVALID_NUMBER": gettext_lazy("Enter the tier's fees as an amount, e.g. 49.50."),
        "NOT_POSITIVE": gettext_lazy("The tier's fees must be more than zero."),
        "NEGATIVE": gettext_lazy("The tier's fees must be zero or more."),
        "TOO_LARGE": gettext_lazy("The tier's fees is higher than Encore accepts."),
        "TOO_MANY_DECIMALS": gettext_lazy("The tier's fees has at most two decimals."),
    },
}


def _tier_amount(value, *, index: int, name: str, positive: bool) -> Decimal:
    messages = _TIER_AMOUNT_MESSAGES[name]
    try:
        amount = to_decimal(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, InvalidOperation):
        amount = None
    if amount is None or not amount.is_finite():
        raise _tier_invalid(str(messages["INVALID_NUMBER"]), "INVALID_NUMBER", index, name)
    if amount < 0 or (positive and amount == 0):
        reason = "NOT_POSITIVE" if positive else "NEGATIVE"
        raise _tier_invalid(str(messages[reason]), reason, index, name)
    if amount > TIER_AMOUNT_MAX:
        raise _tier_invalid(
            str(messages["TOO_LARGE"]),
            "TOO_LARGE",
            index,
            name,
            max=money_str(TIER_AMOUNT_MAX),
        )
    if amount != amount.quantize(CENT):
        raise _tier_invalid(str(messages["TOO_MANY_DECIMALS"]), "TOO_MANY_DECIMALS", index, name)
    return amount.quantize(CENT)


def _tiers_clean(tiers) -> list[dict]:
    """The tiers as {id, name, face_value, fees}, checked; ValidationFailed otherwise."""
    if not isinstance(tiers, list | tuple):
        raise _tier_invalid(_("The tiers must be a list."), "NOT_A_LIST")
    if len(tiers) > TIERS_MAX:
        raise _tier_invalid(
            _("An event has at most %(max)s price tiers.") % {"max": TIERS_MAX},
            "TOO_MANY",
            max=TIERS_MAX,
        )
    cleaned, names, ids = [], set(), set()
    for index, tier in enumerate(tiers):
        if not isinstance(tier, dict):
            raise _tier_invalid(
                _("Each tier is an object {name, face_value, fees}."), "NOT_AN_OBJECT", index
            )
        name = tier.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            raise _tier_invalid(
                _("Give each tier a name, e.g. Standing."), "REQUIRED", index, "name"
            )
        if len(name) > TIER_NAME_MAX:
            raise _tier_invalid(
                _("A tier's name has at most %(max)s characters.") % {"max": TIER_NAME_MAX},
                "TOO_LONG",
                index,
                "name",
                max_length=TIER_NAME_MAX,
            )
        if name.casefold() in names:
            raise _tier_invalid(
                _("Two tiers are called %(name)s.") % {"name": name},
                "DUPLICATE_NAME",
                index,
                "name",
            )
        names.add(name.casefold())
        tier_id = tier.get("id")
        if tier_id is not None:
            if isinstance(tier_id, bool) or not isinstance(tier_id, int) or tier_id in ids:
                raise _tier_invalid(_("Unknown tier."), "INVALID_TIER", index, "id")
            ids.add(tier_id)
        cleaned.append(
            {
                "id": tier_id,
                "name": name,
                "face_value": _tier_amount(
                    tier.get("face_value"), index=index, name="face_value", positive=True
                ),
                "fees": _tier_amount(
                    "0" if tier.get("fees") is None else tier["fees"],
                    index=index,
                    name="fees",
                    positive=False,
                ),
            }
        )
    return cleaned


def _tier_json(tier) -> dict:
    return {
        "name": tier["name"] if isinstance(tier, dict) else tier.name,
        "face_value": money_str(tier["face_value"] if isinstance(tier, dict) else tier.face_value),
        "fees": money_str(tier["fees"] if isinstance(tier, dict) else tier.fees),
    }


def _tiers_apply(*, actor, event: Event, tiers: list[dict], ip_address) -> None:
    """Write the cleaned `tiers` inside the caller's transaction, and audit the change."""
    # Lock the event, then its tiers: two editors saving at once would otherwise
    # both create the same new tier, and an upload holding a tier (it locks it
    # too) finishes before we check whether tickets use it.
    Event.objects.select_for_update().filter(pk=event.pk).first()
    catalogue_changed(event_id=event.pk)
    existing = {tier.pk: tier for tier in PriceTier.objects.select_for_update().filter(event=event)}
    for index, tier in enumerate(tiers):
        if tier["id"] is not None and tier["id"] not in existing:
            raise _tier_invalid(_("Unknown tier."), "INVALID_TIER", index, "id")
    kept = {tier["id"] for tier in tiers if tier["id"] is not None}
    removed = [tier for pk, tier in existing.items() if pk not in kept]
    in_use = {
        pk
        for pk in PriceTier.objects.filter(pk__in=[t.pk for t in removed], tickets__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    }
    if in_use:
        tier = existing[min(in_use)]
        raise _tier_invalid(
            _(
                "Tickets were uploaded for the tier %(name)s: it cannot be removed "
                "(change its name or price instead)."
            )
            % {"name": tier.name},
            "TIER_IN_USE",
            tier_id=tier.pk,
        )
    before = sorted((_tier_json(t) for t in existing.values()), key=repr)
    # Removed first, so a new tier may take a removed one's name.
    PriceTier.objects.filter(pk__in=[t.pk for t in removed]).delete()
    # Renamed tiers first take a placeholder name no person types: two tiers
    # swapping names never meet the unique index halfway.
    renamed = [
        t["id"] for t in tiers if t["id"] is not None and existing[t["id"]].name != t["name"]
    ]
    for pk in renamed:
        PriceTier.objects.filter(pk=pk).update(name=f"\u0001{pk}")
    for tier in tiers:
        values = {"name": tier["name"], "face_value": tier["face_value"], "fees": tier["fees"]}
        if tier["id"] is None:
            PriceTier.objects.create(event=event, **values)
            continue
        current = existing[tier["id"]]
        if any(getattr(current, key) != value for key, value in values.items()):
            PriceTier.objects.filter(pk=current.pk).update(**values, updated_at=timezone.now())
    after = sorted((_tier_json(t) for t in tiers), key=repr)
    if before != after:
        audit_log_record(
            actor=actor,
            action=AuditAction.EVENT_TIERS_CHANGED,
            entity=event,
            changes={"tiers": {"from": before, "to": after}},
            ip_address=ip_address,
        )
