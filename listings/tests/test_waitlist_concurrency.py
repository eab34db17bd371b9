"""The waiting list's rules that must hold under concurrency (rule 13, issue 16
point 5), with real parallel database connections (run_in_threads).

Each race runs twice. Without its guard (the conditional UPDATE replaced by
the write it trusts a read for, or the locks taken away), each side waits
between its read and its write until the other has read too, so every read
comes before any write: the bad outcome happens, and is printed (pytest -s).
With the guard, the same race, its window held open as long: by the same
barrier where no lock is held yet, by a sleep where the guard is a lock the
other side waits for. Then exactly the right outcome. Where the right
outcome depends on who gets there first (a purchase and an offer, an accept
and an expiry, leaving and an offer), each order is run, the other side
arriving while the first holds its lock or its uncommitted change.

The guards are the small functions of listings.waitlist.offers (_hold_claim,
_entry_locked, _may_be_offered, _offer_accept_claim, _offer_expire_claim) and
the fan's lock in payments.services.purchase._check_purchase_limit.
"""

import datetime
import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings import tasks
from listings.models import Listing, WaitlistEntry, WaitlistOffer
from listings.waitlist import entries, offers
from listings.waitlist.entries import waitlist_join, waitlist_leave
from listings.waitlist.offers import waitlist_pass_on
from listings.waitlist.selectors import fan_holdings
from marketplace.core.errors import TicketNotAvailable, ValidationFailed
from marketplace.core.models import AuditLog
from marketplace.testing import in_days, run_in_threads, wait_for
from messaging.models import Notification
from payments.models import Transaction
from payments.services import purchase, transaction_purchase
from payments.services.reservations import reservation_release_expired

from .waitlist_helpers import fans_waiting, list_ticket

pytestmark = pytest.mark.django_db(transaction=True)

# How long a racer waits at a barrier for the others before the test fails.
BARRIER_SECONDS = 30
# How long a guarded racer holds its window open (under its lock).
WINDOW_SECONDS = 0.5

HELD, OPEN = WaitlistOffer.State.HELD, WaitlistOffer.State.OPEN


def _held_listing(event, monkeypatch, **ticket_fields) -> Listing:
    """A listing held for the waiting list (pending, its offer HELD) that no
    worker has passed on yet: the moment between the listing's commit and the
    pass-on it schedules."""
    with monkeypatch.context() as patch:
        patch.setattr(offers, "pass_on_after_commit", lambda listing_id: None)
        listing = list_ticket(event, **ticket_fields)
    assert WaitlistOffer.objects.get(listing=listing).state == HELD
    return listing


def _then(func, hold):
    """`func`, then `hold()` the first time each thread calls it: where a test
    holds the race's window open (a barrier's wait, or a sleep)."""
    done = threading.local()

    def held_open(*args, **kwargs):
        result = func(*args, **kwargs)
        if not getattr(done, "held", False):
            done.held = True
            hold()
        return result

    return held_open


def _sleep():
    time.sleep(WINDOW_SECONDS)


def _open_offers(listings) -> Counter:
    """Open offers of `listings`, counted by the entry they are open to."""
    return Counter(
        WaitlistOffer.objects.filter(listing__in=listings, state=OPEN).values_list(
            "entry_id", flat=True
        )
    )


def _entry_read_without_locks(*, entry_id, fan_id):
    """_entry_locked without its locks: the entry as it is now, which another
    worker may change (an offer made, the fan gone) before this one writes."""
    return WaitlistEntry.objects.select_related("fan").get(pk=entry_id)


# --- 1. A listing is offered to one fan at a time ---------------------------------------


def _hold_claim_trusting_the_read(*, hold_id, entry, expires_at, now):
    """_hold_claim without its guard: the UPDATE by primary key, trusting the
    hold (HELD) the pass-on read when it started."""
    WaitlistOffer.objects.filter(pk=hold_id).update(
        state=OPEN, entry=entry, expires_at=expires_at, offered_at=now
    )
    return True


def _two_workers_pass_one_listing_on(monkeypatch):
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = _held_listing(event, monkeypatch)
    # Both workers read the hold and the line before either offers it.
    both_read = threading.Barrier(2, timeout=BARRIER_SECONDS)
    monkeypatch.setattr(
        offers, "_candidates_after", _then(offers._candidates_after, both_read.wait)
    )

    results, seconds = run_in_threads([lambda: waitlist_pass_on(listing_id=listing.pk)] * 2)

    notified = list(
        Notification.objects.filter(type=Notification.Type.WAITLIST_OFFER).values_list(
            "user_id", flat=True
        )
    )
    emailed = [m.to for m in mail.outbox]
    offered = AuditLog.objects.filter(action="waitlist.offered").count()
    return first, second, listing, results, notified, emailed, offered, seconds


def test_without_the_guard_two_workers_passing_one_listing_on_tell_two_fans(monkeypatch):
    monkeypatch.setattr(offers, "_hold_claim", _hold_claim_trusting_the_read)

    first, second, listing, results, notified, emailed, offered, seconds = (
        _two_workers_pass_one_listing_on(monkeypatch)
    )

    print(
        f"\nunguarded: 2 workers passing one listing on: {offered} offers made, "
        f"{len(notified)} fans notified, {len(emailed)} emails, {seconds:.2f} s"
    )
    # The first fan was told the ticket is theirs, then the second worker gave
    # it to the second fan: two emails for one ticket, the first one a lie.
    assert offered == 2
    assert sorted(notified) == sorted([first.fan_id, second.fan_id])
    assert sorted(emailed) == sorted([[first.fan.email], [second.fan.email]])
    assert _open_offers([listing]) == {second.pk: 1}


def test_two_workers_passing_one_listing_on_make_one_offer_and_send_one_email(monkeypatch):
    first, second, listing, results, notified, emailed, offered, seconds = (
        _two_workers_pass_one_listing_on(monkeypatch)
    )

    print(
        f"\nguarded: 2 workers passing one listing on: {offered} offer made, "
        f"{len(notified)} fan notified, {len(emailed)} email, {seconds:.2f} s"
    )
    offer = WaitlistOffer.objects.get(listing=listing, state=OPEN)
    # The loser found the hold passed on and answers with the winner's offer.
    assert [getattr(r, "pk", r) for r in results] == [offer.pk, offer.pk]
    assert offer.entry == first
    assert (offered, notified, emailed) == (1, [first.fan_id], [[first.fan.email]])
    assert WaitlistOffer.objects.filter(listing=listing).count() == 1


# --- 2. A fan holds at most their quantity ----------------------------------------------


def _two_listings_passed_on_at_once(monkeypatch, *, hold):
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)  # one ticket each
    listings = [_held_listing(event, monkeypatch) for _ in range(2)]
    # Each worker has counted the first fan's tickets before either offers.
    monkeypatch.setattr(offers, "_may_be_offered", _then(offers._may_be_offered, hold))

    results, seconds = run_in_threads(
        [(lambda listing=listing: waitlist_pass_on(listing_id=listing.pk)) for listing in listings]
    )
    return first, second, listings, results, _open_offers(listings), seconds


def test_without_the_locks_a_fan_for_one_ticket_is_offered_two_at_once(monkeypatch):
    monkeypatch.setattr(offers, "_entry_locked", _entry_read_without_locks)
    both_counted = threading.Barrier(2, timeout=BARRIER_SECONDS)

    first, second, listings, results, offered, seconds = _two_listings_passed_on_at_once(
        monkeypatch, hold=both_counted.wait
    )

    print(
        f"\nunguarded: 2 listings at once: the fan wanting 1 ticket got {offered[first.pk]} "
        f"offers, the next fan {offered[second.pk]}, {seconds:.2f} s"
    )
    assert offered == {first.pk: 2}
    assert fan_holdings(fan_id=first.fan_id, event_id=first.event_id) == 2


def test_two_listings_passed_on_at_once_give_the_first_fan_one_and_the_next_the_other(
    monkeypatch,
):
    first, second, listings, results, offered, seconds = _two_listings_passed_on_at_once(
        monkeypatch, hold=_sleep
    )

    print(
        f"\nguarded: 2 listings at once: the fan wanting 1 ticket got {offered[first.pk]} "
        f"offer, the next fan {offered[second.pk]}, {seconds:.2f} s"
    )
    assert offered == {first.pk: 1, second.pk: 1}
    assert all(isinstance(r, WaitlistOffer) for r in results), results


# --- 3. Two listings released at once go to two fans, in order --------------------------


def _two_reservations_released_at_once(monkeypatch, *, hold):
    # given two tickets reserved before anyone waited, then three fans in line
    event = EventFactory(event_date=in_days(30))
    listings = [list_ticket(event) for _ in range(2)]
    reservations = [
        transaction_purchase(buyer=UserFactory(), listing_id=listing.pk).transaction
        for listing in listings
    ]
    first, second, third = fans_waiting(event, 3)  # one ticket each
    Transaction.objects.filter(pk__in=[t.pk for t in reservations]).update(
        reserved_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    monkeypatch.setattr(offers, "_may_be_offered", _then(offers._may_be_offered, hold))

    # when the release job's two runs release both at the same instant (each
    # holds its listing for the waiting list and passes it on once it commits)
    results, seconds = run_in_threads(
        [(lambda t=txn: reservation_release_expired(transaction_id=t.pk)) for txn in reservations]
    )

    assert results == [True, True]
    return (first, second, third), _open_offers(listings), seconds


def test_without_the_locks_two_tickets_released_at_once_both_go_to_the_first_fan(monkeypatch):
    monkeypatch.setattr(offers, "_entry_locked", _entry_read_without_locks)
    both_counted = threading.Barrier(2, timeout=BARRIER_SECONDS)

    (first, second, third), offered, seconds = _two_reservations_released_at_once(
        monkeypatch, hold=both_counted.wait
    )

    print(
        f"\nunguarded: 2 tickets released at once: offers to fans 1, 2, 3 in line: "
        f"{offered[first.pk]}, {offered[second.pk]}, {offered[third.pk]}, {seconds:.2f} s"
    )
    # The second fan in line, who wanted one ticket too, got none.
    assert offered == {first.pk: 2}


def test_two_tickets_released_at_once_go_to_the_first_two_fans_in_line(monkeypatch):
    (first, second, third), offered, seconds = _two_reservations_released_at_once(
        monkeypatch, hold=_sleep
    )

    print(
        f"\nguarded: 2 tickets released at once: offers to fans 1, 2, 3 in line: "
        f"{offered[first.pk]}, {offered[second.pk]}, {offered[third.pk]}, {seconds:.2f} s"
    )
    assert offered == {first.pk: 1, second.pk: 1}


# --- 4. The purchase limit counts offers ------------------------------------------------

LIMIT = 2


def _purchase_and_offer_at_once(monkeypatch, settings, *, hold, first=None):
    """The fan buys a listing on sale while a held one is passed on to them.
    Each side calls `hold()` once it has counted the fan's tickets; with
    `first` ("purchase" or "offer"), the other side starts only once that
    one has counted (and holds the fan's lock, when it takes it)."""
    settings.MAX_TICKETS_PER_EVENT = LIMIT
    # given a fan who bought LIMIT - 1 tickets and waits for LIMIT, a second
    # fan behind them, a listing on sale to everyone and one held for the list
    event = EventFactory(event_date=in_days(30))
    bought, on_sale = list_ticket(event), list_ticket(event)
    fan = UserFactory()
    transaction_purchase(buyer=fan, listing_id=bought.pk)
    entry, _ = waitlist_join(fan=fan, event=event, quantity=LIMIT)
    (next_fan,) = fans_waiting(event, 1)
    held = _held_listing(event, monkeypatch)
    counted = {"purchase": threading.Event(), "offer": threading.Event()}

    def counted_then_hold(side, count):
        def hold_there():
            counted[side].set()
            if first in (None, side):
                hold()

        return _then(count, hold_there)

    def in_turn(side, call):
        def call_in_turn():
            if first not in (None, side):
                assert counted[first].wait(BARRIER_SECONDS)
            return call()

        return call_in_turn

    monkeypatch.setattr(
        purchase,
        "_check_purchase_limit",
        counted_then_hold("purchase", purchase._check_purchase_limit),
    )
    monkeypatch.setattr(
        offers, "_may_be_offered", counted_then_hold("offer", offers._may_be_offered)
    )

    # when the fan buys the listing on sale while the held one is passed on
    (bought_now, offer), seconds = run_in_threads(
        [
            in_turn("purchase", lambda: transaction_purchase(buyer=fan, listing_id=on_sale.pk)),
            in_turn("offer", lambda: waitlist_pass_on(listing_id=held.pk)),
        ]
    )
    holds = fan_holdings(fan_id=fan.pk, event_id=event.pk)
    return entry, next_fan, held, bought_now, offer, holds, seconds


def test_without_the_lock_a_fan_one_below_the_limit_buys_one_and_is_offered_one(
    monkeypatch, settings
):
    monkeypatch.setattr(purchase, "fan_lock", lambda fan_id: None)
    monkeypatch.setattr(offers, "fan_lock", lambda fan_id: None)
    both_counted = threading.Barrier(2, timeout=BARRIER_SECONDS)

    entry, next_fan, held, bought_now, offer, holds, seconds = _purchase_and_offer_at_once(
        monkeypatch, settings, hold=both_counted.wait
    )

    print(
        f"\nunguarded: a fan at {LIMIT - 1} of {LIMIT} buys one as one is offered to them: "
        f"holds {holds}, {seconds:.2f} s"
    )
    assert isinstance(bought_now, purchase.Purchase), bought_now
    assert offer.entry_id == entry.pk
    assert holds == LIMIT + 1


@pytest.mark.parametrize("first", ["purchase", "offer"])
def test_a_purchase_and_an_offer_at_once_never_take_a_fan_past_the_limit(
    monkeypatch, settings, first
):
    entry, next_fan, held, bought_now, offer, holds, seconds = _purchase_and_offer_at_once(
        monkeypatch, settings, hold=_sleep, first=first
    )

    print(
        f"\nguarded ({first} first): a fan at {LIMIT - 1} of {LIMIT} buys one as one is "
        f"offered to them: holds {holds}, {seconds:.2f} s"
    )
    assert holds == LIMIT
    if first == "purchase":
        # the offer, counted after the purchase, went to the next fan
        assert isinstance(bought_now, purchase.Purchase), bought_now
        assert offer.entry_id == next_fan.pk
    else:
        # the purchase, counted after the offer, was refused
        assert isinstance(bought_now, ValidationFailed), bought_now
        assert bought_now.details["reason"] == "PURCHASE_LIMIT_REACHED"
        assert offer.entry_id == entry.pk
    assert WaitlistOffer.objects.get(listing=held, state=OPEN) == offer


# --- 5. An offer accepted as it expires: bought or passed on, never both -----------------

# How far ahead the offer ends when the race starts: the fan's purchase reads
# it open and in time; the job, started once that instant has passed, reads
# it open and due.
EXPIRES_IN = datetime.timedelta(milliseconds=500)


def _accept_claim_read_then_write(all_read):
    def claim(*, offer_id, now):
        """_offer_accept_claim without its guard: read, then UPDATE by primary key."""
        in_time = WaitlistOffer.objects.filter(pk=offer_id, state=OPEN, expires_at__gt=now).exists()
        all_read.wait()
        if in_time:
            WaitlistOffer.objects.filter(pk=offer_id).update(
                state=WaitlistOffer.State.ACCEPTED, decided_at=now
            )
        return in_time

    return claim


def _expire_claim_read_then_write(all_read):
    def claim(*, offer_id, now):
        """_offer_expire_claim without its guard: read, then UPDATE by primary key."""
        due = WaitlistOffer.objects.filter(pk=offer_id, state=OPEN, expires_at__lte=now).exists()
        all_read.wait()
        if due:
            WaitlistOffer.objects.filter(pk=offer_id).update(
                state=WaitlistOffer.State.EXPIRED, decided_at=now
            )
        return due

    return claim


def _in_turn(claim, *, both_there, first_claimed, goes_first):
    """`claim` once both sides are there; the side going first then holds its
    transaction open (the offer's row locked) for WINDOW_SECONDS, and the
    other claims meanwhile: its conditional UPDATE waits for that row lock and
    decides on the row as the first side left it."""

    def claim_in_turn(*, offer_id, now):
        both_there.wait()
        if goes_first:
            try:
                return claim(offer_id=offer_id, now=now)
            finally:
                first_claimed.set()
                _sleep()
        assert first_claimed.wait(BARRIER_SECONDS)
        return claim(offer_id=offer_id, now=now)

    return claim_in_turn


def _accept_as_it_expires(monkeypatch):
    # given an offer open to the first fan, ending in half a second
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    offer = WaitlistOffer.objects.get(listing=listing, state=OPEN, entry=first)
    expires_at = timezone.now() + EXPIRES_IN
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=expires_at)
    clocks = {}

    def clocked(name, claim):
        def claim_at(*, offer_id, now):
            clocks[name] = now
            return claim(offer_id=offer_id, now=now)

        return claim_at

    monkeypatch.setattr(
        offers, "_offer_accept_claim", clocked("accept", offers._offer_accept_claim)
    )
    monkeypatch.setattr(
        offers, "_offer_expire_claim", clocked("expire", offers._offer_expire_claim)
    )

    def job_once_due():
        time.sleep(max((expires_at - timezone.now()).total_seconds(), 0) + 0.01)
        return waitlist_pass_on(listing_id=listing.pk)

    # when the fan buys at once, and the job passes the listing on the moment it is due
    (bought, passed), seconds = run_in_threads(
        [lambda: transaction_purchase(buyer=first.fan, listing_id=listing.pk), job_once_due]
    )

    # (each side saw the offer as it was on its own clock: in time, and due)
    assert clocks["accept"] < expires_at <= clocks["expire"]
    offer.refresh_from_db()
    sales = Transaction.objects.filter(listing=listing).exclude(status="cancelled").count()
    next_offers = WaitlistOffer.objects.filter(listing=listing).exclude(pk=offer.pk)
    return offer, second, bought, sales, list(next_offers), seconds


def test_without_the_guards_an_offer_accepted_as_it_expires_is_bought_and_passed_on(
    monkeypatch,
):
    all_read = threading.Barrier(2, timeout=BARRIER_SECONDS)
    monkeypatch.setattr(offers, "_offer_accept_claim", _accept_claim_read_then_write(all_read))
    monkeypatch.setattr(offers, "_offer_expire_claim", _expire_claim_read_then_write(all_read))

    offer, second, bought, sales, next_offers, seconds = _accept_as_it_expires(monkeypatch)

    print(
        f"\nunguarded: accepted as it expired: {sales} sale and {len(next_offers)} offer "
        f"to the next fan for one ticket, {seconds:.2f} s"
    )
    assert isinstance(bought, purchase.Purchase), bought
    assert sales == 1
    # ... and the same ticket offered to the next fan
    assert [(o.state, o.entry_id) for o in next_offers] == [(OPEN, second.pk)]


@pytest.mark.parametrize("first", ["purchase", "job"])
def test_an_offer_accepted_as_it_expires_is_either_bought_or_passed_on(monkeypatch, first):
    # both sides reach their claim before either claims (neither waits there
    # for a lock the other holds: the purchase holds the fan's row, the job
    # the entry's); then `first` claims, and the other while it is uncommitted
    both_there = threading.Barrier(2, timeout=BARRIER_SECONDS)
    first_claimed = threading.Event()
    for side, name in (("purchase", "_offer_accept_claim"), ("job", "_offer_expire_claim")):
        claim = _in_turn(
            getattr(offers, name),
            both_there=both_there,
            first_claimed=first_claimed,
            goes_first=side == first,
        )
        monkeypatch.setattr(offers, name, claim)

    offer, second, bought, sales, next_offers, seconds = _accept_as_it_expires(monkeypatch)

    print(
        f"\nguarded ({first} first): accepted as it expired: {sales} sale, "
        f"{len(next_offers)} offer to the next fan, {seconds:.2f} s"
    )
    if first == "purchase":
        assert isinstance(bought, purchase.Purchase), bought
        assert offer.state == WaitlistOffer.State.ACCEPTED
        assert bought.transaction.waitlist_offer_id == offer.pk
        assert (sales, next_offers) == (1, [])
    else:
        assert isinstance(bought, TicketNotAvailable), bought
        assert offer.state == WaitlistOffer.State.EXPIRED
        assert sales == 0
        assert [(o.state, o.entry_id) for o in next_offers] == [(OPEN, second.pk)]


# --- 6. A fan who leaves while an offer is being made gets none --------------------------


def _leave_while_offered(monkeypatch, *, leave_first: bool, window):
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = _held_listing(event, monkeypatch)
    inside, done = threading.Event(), threading.Event()

    def inside_the_window():
        inside.set()
        window(done)

    def leave():
        try:
            if not leave_first:
                assert inside.wait(BARRIER_SECONDS)
            return waitlist_leave(fan=first.fan, event_id=event.pk)
        finally:
            done.set()

    def pass_on():
        if leave_first:
            assert inside.wait(BARRIER_SECONDS)
        return waitlist_pass_on(listing_id=listing.pk)

    if leave_first:
        # the fan's leave holds its locks (fan, entry) as the pass-on starts
        withdraw = entries.offers_withdraw_for_entry
        monkeypatch.setattr(
            entries, "offers_withdraw_for_entry", _then(withdraw, inside_the_window)
        )
    else:
        # the pass-on has read the first fan's entry as the fan leaves
        monkeypatch.setattr(
            offers, "_may_be_offered", _then(offers._may_be_offered, inside_the_window)
        )

    results, seconds = run_in_threads([leave, pass_on])

    assert isinstance(results[0], WaitlistEntry), results
    first.refresh_from_db()
    assert first.state == WaitlistEntry.State.LEFT
    return first, second, listing, seconds


def test_without_the_locks_a_fan_who_leaves_as_an_offer_is_made_keeps_it(monkeypatch):
    monkeypatch.setattr(offers, "_entry_locked", _entry_read_without_locks)

    first, second, listing, seconds = _leave_while_offered(
        monkeypatch, leave_first=False, window=lambda done: done.wait(BARRIER_SECONDS)
    )

    offered = _open_offers([listing])
    print(
        f"\nunguarded: the fan left as the offer was made: {offered[first.pk]} offer open "
        f"to them, {offered[second.pk]} to the next fan, {seconds:.2f} s"
    )
    assert offered == {first.pk: 1}


@pytest.mark.parametrize("leave_first", [False, True], ids=["offer_first", "leave_first"])
def test_a_fan_who_leaves_as_an_offer_is_made_gets_none_and_the_next_fan_gets_it(
    monkeypatch, leave_first
):
    first, second, listing, seconds = _leave_while_offered(
        monkeypatch, leave_first=leave_first, window=lambda done: _sleep()
    )

    offers_to_first = list(
        WaitlistOffer.objects.filter(listing=listing, entry=first).values_list("state", flat=True)
    )
    print(
        f"\nguarded ({'leave' if leave_first else 'offer'} first): the fan who left: "
        f"{offers_to_first or 'never offered'}, {seconds:.2f} s"
    )
    assert _open_offers([listing]) == {second.pk: 1}
    # Either the offer was never made, or it was withdrawn and passed on.
    assert offers_to_first == ([] if leave_first else [WaitlistOffer.State.WITHDRAWN])


# --- The periodic job, on a real worker --------------------------------------------------


def test_a_real_worker_moves_an_expired_offer_on_to_the_next_fan(in_thread_worker):
    # given an offer whose time is up
    event = EventFactory(event_date=in_days(30))
    first, second = fans_waiting(event, 2)
    listing = list_ticket(event)
    offer = WaitlistOffer.objects.get(listing=listing, state=OPEN, entry=first)
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when beat's job reaches the worker
    tasks.waitlist_offers_move_on.delay()

    # then the ticket is offered to the next fan, and the first one lapsed
    wait_for(
        lambda: WaitlistOffer.objects.filter(listing=listing, state=OPEN, entry=second).exists(),
        what="the offer to the next fan",
    )
    offer.refresh_from_db()
    first.refresh_from_db()
    assert offer.state == WaitlistOffer.State.EXPIRED
    assert first.lapses == 1
    assert Listing.objects.get(pk=listing.pk).status == Listing.Status.PENDING
