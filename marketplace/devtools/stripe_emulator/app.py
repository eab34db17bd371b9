"""The emulator's aiohttp application: our routes first, then every route of
localstripe's own application, so that ours take precedence where both
answer (the stand-in Stripe.js, the PaymentIntent actions we adjust)."""

import logging
import os
import pickle
import re
from pathlib import Path

import localstripe
from aiohttp import web
from localstripe import server
from localstripe.resources import store
from localstripe.webhooks import _webhooks

from . import balance, connect, disputes, onboarding, payments, refunds, transfers
from .base import StripeError
from .idempotency import idempotency_middleware

STANDIN_JS = Path(__file__).with_name("standin.js")
LOCALSTRIPE_JS = Path(localstripe.__file__).with_name("localstripe-v3.js")
# Stripe.js authenticates with the publishable key in the body on these.
PUBLISHABLE_KEY_ROUTES = (r"^/v1/payment_methods$",)
OPEN_ROUTES = ("/setup/e/",)  # the hosted onboarding: the link's token is the credential


@web.middleware
async def auth_middleware(request, handler):
    """localstripe's authentication, plus the publishable key where Stripe.js
    uses it and no key at all on the onboarding page (reached by a link)."""
    if "Stripe-Account" in request.headers:
        # Acting as a connected account is not emulated: refusing beats doing it
        # silently on the platform.
        raise StripeError(400, "The Stripe-Account header is not supported by the emulator.")
    if request.path.startswith(OPEN_ROUTES):
        return await handler(request)
    if request.method == "POST" and any(re.match(p, request.path) for p in PUBLISHABLE_KEY_ROUTES):
        data = await server.get_post_data(request, remove_auth=False) or {}
        key = data.get("key")
        if isinstance(key, str) and key.startswith("pk_") and len(key) > 5:
            return await handler(request)
    return await server.auth_middleware(request, handler)


async def stripe_js(request):
    """localstripe's stand-in Stripe.js followed by our additions."""
    script = LOCALSTRIPE_JS.read_text() + "\n" + STANDIN_JS.read_text()
    return web.Response(text=script, content_type="application/javascript")


async def forget_webhook(request):
    """DELETE /_config/webhooks/{id}: stop delivering to a registered URL."""
    _webhooks.pop(request.match_info["id"], None)
    return web.Response()


ROUTES = [
    ("GET", "/js.stripe.com/v3/", stripe_js),
    ("DELETE", "/_config/webhooks/{id}", forget_webhook),
    *payments.routes,
    *balance.routes,
    *connect.routes,
    *transfers.routes,
    *disputes.routes,
    *onboarding.routes,
]


def build_app() -> web.Application:
    app = web.Application(
        middlewares=[
            server.error_middleware,
            auth_middleware,
            server.save_store_middleware,
            idempotency_middleware,
        ]
    )
    app.on_response_prepare.append(server.add_cors_headers)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    for route in server.app.router.routes():
        app.router.add_route(route.method, route.resource.canonical, route.handler)
    return app


# Where `make run`'s local Stripe keeps its objects between runs.
STORE_DIRECTORY = Path(__file__).resolve().parents[3] / "var"


def _store_kept_in(path: Path | None) -> None:
    """Keep the store in `path`, a file of this emulator's own, replaced whole
    at each write so that a reader never finds half of it; with None, keep it
    in memory only. (localstripe writes every emulator's store to one shared
    /tmp file at each write: runs side by side then read each other's, torn.)"""
    kind = type(store)
    if path is None:
        kind.dump_to_disk = lambda self: None
        kind.try_load_from_disk = lambda self: None
        return

    def dump(self):
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(partial, "wb") as file:
            pickle.dump(self, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    def load(self):
        try:
            with open(path, "rb") as file:
                kept = pickle.load(file)  # noqa: S301 (our own file, written above)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return
        self.clear()
        self.update(kept)
        refunds.refunds_index_rebuild()

    kind.dump_to_disk = dump
    kind.try_load_from_disk = load


def serve(*, port: int, from_scratch: bool = False) -> None:
    """Serve on 127.0.0.1:`port` until interrupted. Without `from_scratch` the
    store is kept in var/local-stripe-<port>.pickle and reloaded from it;
    from scratch (the tests, the benchmark), it lives in memory only."""
    if from_scratch:
        _store_kept_in(None)
    else:
        STORE_DIRECTORY.mkdir(exist_ok=True)
        _store_kept_in(STORE_DIRECTORY / f"local-stripe-{port}.pickle")
        store.try_load_from_disk()
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    web.run_app(build_app(), host="127.0.0.1", port=port, access_log=logger, print=None)
