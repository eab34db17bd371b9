"""The fault suite's fixtures: Encore served by a real gunicorn process with
some of its services broken (server.py), the ports that break them
(network.py).

Each module starts the servers it needs once (module-scoped fixtures) with
`serve(name, **environment)`; the tests create their rows in the test database
(`django_db(transaction=True)`, so the server process sees them) and talk to
the server over HTTP.
"""

import uuid

import pytest
import redis

from .server import Server, start_server


@pytest.fixture(scope="module")
def serve(django_db_setup, tmp_path_factory):
    """serve(name, **environment) -> a Server; all stopped after the module."""
    log_dir = tmp_path_factory.mktemp("servers")
    started: list[Server] = []

    def start(name: str, **overrides) -> Server:
        server = start_server(name, log_dir, **overrides)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def queue_name(broker_url):
    """A broker queue of this module's own, emptied at the end."""
    name = f"encore-faults-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(broker_url)
    client.delete(name, *client.scan_iter(match=f"_kombu.binding*.{name}"))
