"""Property-based tests of the whole API against its own OpenAPI schema
(schemathesis): for every operation, generated valid and invalid requests,
sent with a real user's token through the WSGI app, must never answer 5xx
and every answer must match what the schema documents."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import checks

from marketplace.wsgi import application

# Bounded so the suite stays fast: a few dozen cases per operation.
MAX_EXAMPLES = 15

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def token(db):
    """A user with a ticket, a listing and a purchase, so that some generated ids exist."""
    from payments.tests.factories import TransactionFactory

    txn = TransactionFactory()
    return str(RefreshToken.for_user(txn.buyer).access_token)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request,
    which would end the test's transaction; Django's test client does this too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    # Rate limits are tested on their own; here they would only cut the run short.
    settings.RATELIMIT_ENABLE = False


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_schema(case, token):
    import os

    if os.environ.get("SCHEMATHESIS_TALLY"):
        with open(os.environ["SCHEMATHESIS_TALLY"], "a") as tally:
            tally.write(f"{case.operation.label}\n")
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
