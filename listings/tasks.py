from celery import shared_task

from . import services
from .waitlist.offers import waitlist_offers_due
from .waitlist.raffles import waitlist_raffles_draw_due


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def listings_expire() -> int:
    """Periodic: expire listings whose event has started. Safe to run twice at once."""
    return services.listings_expire_due()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def trader_listings_withdraw(seller_id: int) -> int:
    """After staff reject a trader's details: their listings come off sale."""
    return services.trader_listings_withdraw(seller_id=seller_id)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def rejected_traders_listings_withdraw() -> int:
    """Periodic: what trader_listings_withdraw missed (the broker was down)."""
    return services.rejected_traders_listings_withdraw()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def waitlist_offers_move_on() -> dict:
    """Periodic (every 30 s): draw the raffles whose window closed, then pass on
    the held tickets due and the offers whose time is up. Safe to run twice at once."""
    return {"raffles_drawn": waitlist_raffles_draw_due(), "listings": waitlist_offers_due()}
