"""Creating and editing events.

Only organizers, admins and staff create events; an organizer edits only their
own (ARCHITECTURE.md, rule 10). Each service is one database transaction that
completes or changes nothing (rule 11) and writes its audit row (rule 9).
"""

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_can_organize, user_can_trade
from listings.models import Listing
from marketplace.audit import audit_log_record
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.json_values import MESSAGES, json_value_problem

from .cache import upcoming_events_invalidate
from .models import Event
from .selectors import event_can_edit

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


def _starts_at(*, event_date: datetime.date, event_time: datetime.time | None):
    # The same rule as Event.starts_at, on values not yet saved.
    return Event(event_date=event_date, event_time=event_time).starts_at


def _check_starts_in_future(*, event_date, event_time) -> None:
    if _starts_at(event_date=event_date, event_time=event_time) <= timezone.now():
        raise ValidationFailed(
            "The event must start in the future.",
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
                    f"The {name.replace('_', ' ')} is required.",
                    details={"field": name, "reason": "REQUIRED"},
                )
    for name in OPTIONAL_TEXT_FIELDS:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "country" in fields:
        fields["country"] = (fields["country"] or "").strip().upper()
        if not _COUNTRY.match(fields["country"]):
            raise ValidationFailed(
                "The country must be a two-letter ISO code, such as IE.",
                details={"field": "country", "reason": "INVALID_COUNTRY"},
            )
    if "category" in fields and fields["category"] not in Event.Category.values:
        raise ValidationFailed(
            "Unknown category.",
            details={
                "field": "category",
                "reason": "INVALID_CHOICE",
                "choices": list(Event.Category.values),
            },
        )
    if "status" in fields and fields["status"] not in Event.Status.values:
        raise ValidationFailed(
            "Unknown status.",
            details={"field": "status", "reason": "INVALID_STATUS"},
        )
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if fields.get(name) is not None and not -bound <= fields[name] <= bound:
            raise ValidationFailed(
                f"The {name} must be between -{bound} and {bound}.",
                details={"field": name, "reason": "OUT_OF_RANGE"},
            )
    if "metadata" in fields and fields["metadata"] is None:
        fields["metadata"] = {}
    if "metadata" in fields:
        _metadata_check(fields["metadata"])
    return fields


def _metadata_check(metadata) -> None:
    if not isinstance(metadata, dict):
        raise ValidationFailed(
            "Metadata must be an object.", details={"field": "metadata", "reason": "NOT_AN_OBJECT"}
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
    ip_address: str | None = None,
) -> Event:
    """Create an event organised by `organizer`, as a draft or published.

    Raises PermissionDenied (not an organizer, admin or staff, or the account is
    suspended or banned) or ValidationFailed (status other than draft or
    published, start not in the future, blank name/venue/city, unknown
    category, bad country or currency).
    """
    if not (user_can_organize(user=organizer) or organizer.is_staff):
        raise PermissionDenied("Only organizers can create events.")
    if not user_can_trade(user=organizer):
        raise PermissionDenied("Your account cannot create events at the moment.")
    if status not in CREATION_STATUSES:
        raise ValidationFailed(
            "A new event is a draft or published.",
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
        }
    )
    fields["currency"] = (currency or settings.DEFAULT_CURRENCY).strip().upper()
    if not _CURRENCY.match(fields["currency"]):
        raise ValidationFailed(
            "The currency must be a three-letter ISO code, such as EUR.",
            details={"field": "currency", "reason": "INVALID_CURRENCY"},
        )
    _check_starts_in_future(event_date=event_date, event_time=event_time)

    with transaction.atomic():
        event = Event.objects.create(organizer=organizer, **fields)
        audit_log_record(
            actor=organizer,
            action="event.created",
            entity=event,
            changes={
                "organizer_id": organizer.pk,
                **{key: _json_value(value) for key, value in fields.items()},
            },
            ip_address=ip_address,
        )
        transaction.on_commit(upcoming_events_invalidate)
    return event


def _has_open_listings(event: Event) -> bool:
    return Listing.objects.filter(ticket__event=event, status__in=Listing.OPEN_STATUSES).exists()


def _check_transition(*, event: Event, old: str, new: str) -> None:
    if new not in STATUS_TRANSITIONS[old]:
        raise ValidationFailed(
            f"An event cannot move from {old} to {new}.",
            details={"field": "status", "reason": "INVALID_TRANSITION", "from": old, "to": new},
        )
    if new == Event.Status.DRAFT and _has_open_listings(event):
        # Unpublishing would strand tickets on sale or in checkout for an event
        # nobody can see; the organizer cancels the event instead.
        raise ValidationFailed(
            "This event has tickets on sale or being bought: it cannot go back to draft.",
            details={"field": "status", "reason": "HAS_LISTINGS", "from": old, "to": new},
        )


def event_update(*, actor, event: Event, ip_address: str | None = None, **fields) -> Event:
    """Change some of `event`'s fields, by its organizer, an admin or staff.

    Writes (and audits) only the fields whose value really changes; with none,
    nothing is written. Raises ValueError (a field that is not editable: a
    programming error), PermissionDenied (someone else's event), or
    ValidationFailed (status transition not allowed, unpublishing an event with
    open listings, new start not in the future, or a value event_create refuses).
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"event_update cannot change: {', '.join(sorted(unknown))}.")
    if not event_can_edit(user=actor, event=event):
        raise PermissionDenied("You can only edit your own events.")
    fields = _clean_fields(fields)

    with transaction.atomic():
        # Lock the row: a concurrent update (another tab, staff in the admin)
        # would otherwise check its transition against a status we are changing.
        locked = Event.objects.select_for_update().get(pk=event.pk)
        changed = {name: value for name, value in fields.items() if getattr(locked, name) != value}
        if "status" in changed:
            _check_transition(event=locked, old=locked.status, new=changed["status"])
        if {"category", "country"} & set(changed) and _has_open_listings(locked):
            # The caps depend on both: listings priced under the old cap could
            # sit above the new one. The seller relists after the change.
            raise ValidationFailed(
                "The category and country cannot change while tickets are on sale.",
                details={
                    "field": next(iter({"category", "country"} & set(changed))),
                    "reason": "HAS_LISTINGS",
                },
            )
        if (
            "event_date" in changed
            or "event_time" in changed
            or changed.get("status") == Event.Status.PUBLISHED
        ):
            # Publishing a draft whose date has passed is refused too.
            _check_starts_in_future(
                event_date=changed.get("event_date", locked.event_date),
                event_time=changed.get("event_time", locked.event_time),
            )
        if changed:
            audit_changes = {
                name: {"from": _json_value(getattr(locked, name)), "to": _json_value(value)}
                for name, value in changed.items()
            }
            for name, value in changed.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*changed, "updated_at"])
            audit_log_record(
                actor=actor,
                action="event.updated",
                entity=locked,
                changes=audit_changes,
                ip_address=ip_address,
            )
            transaction.on_commit(upcoming_events_invalidate)
    event.refresh_from_db()
    return event
