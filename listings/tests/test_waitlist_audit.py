"""Every step of the waiting list writes its audit row (rule 9, issue 16): one
story, from joining to a raffle's draw, read back from the audit trail in
the order it happened, with who did it, to what, and the key changes."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.models import WaitlistEntry, WaitlistOffer, WaitlistRaffle
from listings.waitlist.entries import waitlist_join, waitlist_leave
from listings.waitlist.offers import micros, waitlist_offer_decline, waitlist_pass_on
from listings.waitlist.raffles import ALGORITHM, waitlist_raffle_draw, waitlist_raffle_open
from marketplace.core.models import AuditLog
from marketplace.testing import in_days
from payments.services import transaction_purchase

from .waitlist_helpers import list_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _open_offer(listing) -> WaitlistOffer:
    return WaitlistOffer.objects.get(listing=listing, state=WaitlistOffer.State.OPEN)


def _let_lapse(offer: WaitlistOffer) -> None:
    """The offer's time runs out, and the job passes its ticket on."""
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    waitlist_pass_on(listing_id=offer.listing_id)


def _trail(since: int) -> list[tuple]:
    """The waiting list's audit rows after row `since`: (action, entity type,
    entity id, actor id, changes), oldest first."""
    return [
        (row.action, row.entity_type, int(row.entity_id), row.actor_id, row.changes)
        for row in AuditLog.objects.filter(pk__gt=since, action__startswith="waitlist.").order_by(
            "pk"
        )
    ]


def test_each_step_of_the_waiting_list_writes_its_audit_row_in_order():
    event = EventFactory(event_date=in_days(30))
    ana, ben, cleo, dana = (UserFactory() for _ in range(4))
    since = AuditLog.objects.order_by("pk").values_list("pk", flat=True).last() or 0

    # joined, changed: three fans wait for one ticket each; Ana sets a highest price
    a, _ = waitlist_join(fan=ana, event=event)
    waitlist_join(fan=ana, event=event, max_price="80.00")
    b, _ = waitlist_join(fan=ben, event=event)
    c, _ = waitlist_join(fan=cleo, event=event)

    # held, offered to Ana; declined: passed on, offered to Ben
    one = list_ticket(event)
    held_one = WaitlistOffer.objects.get(listing=one, entry=a)
    waitlist_offer_decline(fan=ana, offer=held_one)
    to_ben = _open_offer(one)

    # Ben lets it lapse (his first): expired, passed on, offered to Cleo, who buys it
    _let_lapse(to_ben)
    to_cleo = _open_offer(one)
    transaction_purchase(buyer=cleo, listing_id=one.pk)

    # a second ticket: held, offered to Ana; she leaves: withdrawn, passed on, offered to Ben
    two = list_ticket(event)
    held_two = WaitlistOffer.objects.get(listing=two, entry=a)
    waitlist_leave(fan=ana, event_id=event.pk)
    to_ben_again = _open_offer(two)

    # Ben's second lapse moves him to the back; nobody else may take it: released
    position_before = WaitlistEntry.objects.get(pk=b.pk).position
    _let_lapse(to_ben_again)
    released = WaitlistOffer.objects.get(listing=two, state=WaitlistOffer.State.RELEASED)

    # a raffle opens, Dana joins it, it closes and is drawn
    raffle = waitlist_raffle_open(actor=event.organizer, event=event, minutes=5)
    window = {"opens_at": raffle.opens_at.isoformat(), "closes_at": raffle.closes_at.isoformat()}
    d, _ = waitlist_join(fan=dana, event=event)
    WaitlistRaffle.objects.filter(pk=raffle.pk).update(
        opens_at=timezone.now() - datetime.timedelta(minutes=6),
        closes_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert waitlist_raffle_draw(raffle_id=raffle.pk)

    trail = _trail(since)
    offers = {offer.pk: offer for offer in WaitlistOffer.objects.filter(listing__in=[one, two])}
    b.refresh_from_db()
    raffle.refresh_from_db()
    # Each ticket passed on leaves a new held offer behind it.
    held_after = {
        o.pk: next(p for p in sorted(offers) if p > o.pk and offers[p].listing_id == o.listing_id)
        for o in (held_one, to_ben, held_two, to_ben_again)
    }
    assert [(action, kind, pk, actor) for action, kind, pk, actor, _ in trail] == [
        ("waitlist.joined", "waitlistentry", a.pk, ana.pk),
        ("waitlist.changed", "waitlistentry", a.pk, ana.pk),
        ("waitlist.joined", "waitlistentry", b.pk, ben.pk),
        ("waitlist.joined", "waitlistentry", c.pk, cleo.pk),
        ("waitlist.held", "listing", one.pk, one.seller_id),
        ("waitlist.offered", "waitlistoffer", held_one.pk, None),
        ("waitlist.passed_on", "listing", one.pk, ana.pk),
        ("waitlist.offer_declined", "waitlistoffer", held_one.pk, ana.pk),
        ("waitlist.offered", "waitlistoffer", to_ben.pk, None),
        ("waitlist.passed_on", "listing", one.pk, None),
        ("waitlist.offer_expired", "waitlistoffer", to_ben.pk, None),
        ("waitlist.offered", "waitlistoffer", to_cleo.pk, None),
        ("waitlist.offer_accepted", "waitlistoffer", to_cleo.pk, cleo.pk),
        ("waitlist.held", "listing", two.pk, two.seller_id),
        ("waitlist.offered", "waitlistoffer", held_two.pk, None),
        ("waitlist.passed_on", "listing", two.pk, ana.pk),
        ("waitlist.offer_withdrawn", "waitlistoffer", held_two.pk, ana.pk),
        ("waitlist.left", "waitlistentry", a.pk, ana.pk),
        ("waitlist.offered", "waitlistoffer", to_ben_again.pk, None),
        ("waitlist.passed_on", "listing", two.pk, None),
        ("waitlist.offer_expired", "waitlistoffer", to_ben_again.pk, None),
        ("waitlist.moved_back", "waitlistentry", b.pk, None),
        ("waitlist.released", "listing", two.pk, None),
        ("waitlist.raffle_opened", "waitlistraffle", raffle.pk, event.organizer_id),
        ("waitlist.joined", "waitlistentry", d.pk, dana.pk),
        ("waitlist.raffle_drawn", "waitlistraffle", raffle.pk, None),
    ]

    changes = [row[4] for row in trail]
    # joined, changed
    assert changes[0] == {
        "event_id": event.pk,
        "quantity": 1,
        "max_price": None,
        "section": "",
        "ticket_type": "",
        "position": a.position,
        "raffle_id": None,
    }
    assert changes[1] == {"max_price": {"from": None, "to": "80.00"}}
    # held, offered
    assert changes[4] == {
        "status": {"from": "active", "to": "pending"},
        "offer_id": held_one.pk,
    }
    assert changes[5] | {"expires_at": None} == {
        "state": {"from": "held", "to": "open"},
        "listing_id": one.pk,
        "entry_id": a.pk,
        "fan_id": ana.pk,
        "position": a.position,
        "expires_at": None,
    }
    assert changes[5]["expires_at"] == offers[held_one.pk].expires_at.isoformat()
    # declined: passed on to the held offer it leaves behind
    assert changes[6] == {
        "from_offer_id": held_one.pk,
        "held_offer_id": held_after[held_one.pk],
        "reason": "declined",
    }
    assert changes[7] == {
        "state": {"from": "open", "to": "declined"},
        "listing_id": one.pk,
        "passed_to_offer_id": held_after[held_one.pk],
    }
    assert changes[8]["entry_id"] == b.pk
    # expired
    assert changes[9]["reason"] == "expired"
    assert changes[10] == {
        "state": {"from": "open", "to": "expired"},
        "listing_id": one.pk,
        "fan_id": ben.pk,
        "passed_to_offer_id": held_after[to_ben.pk],
    }
    assert changes[11]["entry_id"] == c.pk
    # accepted
    assert changes[12] == {"state": {"from": "open", "to": "accepted"}, "listing_id": one.pk}
    # withdrawn, left
    assert changes[15] == {
        "from_offer_id": held_two.pk,
        "held_offer_id": held_after[held_two.pk],
        "reason": "fan_left",
    }
    assert changes[16] == {
        "state": {"from": "open", "to": "withdrawn"},
        "listing_id": two.pk,
        "reason": "fan_left",
        "passed_to_offer_id": held_after[held_two.pk],
    }
    assert changes[17] == {"state": {"from": "waiting", "to": "left"}, "offers_withdrawn": 1}
    # moved to the back at the second lapse, after everyone who waited then
    assert changes[21] == {"position": {"from": position_before, "to": b.position}, "lapses": 2}
    assert b.position > position_before and b.lapses == 0
    # released to everyone
    assert changes[22] == {"status": {"from": "pending", "to": "active"}, "offer_id": released.pk}
    # raffle opened, joined in it, drawn with its seed
    assert changes[23] == {"event_id": event.pk, **window}
    assert changes[24]["raffle_id"] == raffle.pk and changes[24]["position"] is None
    assert changes[25] == {
        "seed": raffle.seed,
        "algorithm": ALGORITHM,
        "entrants": [[d.pk, 1]],
        "order": [d.pk],
    }
    assert WaitlistEntry.objects.get(pk=d.pk).position == micros(raffle.opens_at)
