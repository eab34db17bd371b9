"""Production's database connections: a pool per process (psycopg's), sized
from the environment; DB_POOL_MAX_SIZE=0 keeps connections the classic way."""

import json

import pytest

from marketplace.tests.test_settings import PRODUCTION_ENV, manage

# Each case runs manage.py in a fresh interpreter.
pytestmark = pytest.mark.system

SHOW = (
    "import json; from django.conf import settings; d = settings.DATABASES['default']; "
    "print(json.dumps({'pool': d.get('OPTIONS', {}).get('pool'), "
    "'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS']}))"
)


def database_settings(**env) -> dict:
    result = manage("shell", "--no-imports", "-c", SHOW, env={**PRODUCTION_ENV, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_connections_come_from_a_pool_covering_the_threads_of_a_worker():
    assert database_settings() == {
        "pool": {"min_size": 1, "max_size": 4, "timeout": 5.0},
        "age": 0,  # the pool keeps the connections, Django must not
        "checks": True,
    }
    assert database_settings(GUNICORN_THREADS="8")["pool"]["max_size"] == 8


def test_the_pool_is_sized_from_the_environment():
    found = database_settings(DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="10", DB_POOL_TIMEOUT="2.5")

    assert found["pool"] == {"min_size": 2, "max_size": 10, "timeout": 2.5}


def test_no_pool_keeps_each_connection_conn_max_age_seconds():
    assert database_settings(DB_POOL_MAX_SIZE="0") == {"pool": None, "age": 60, "checks": True}
    assert database_settings(DB_POOL_MAX_SIZE="0", CONN_MAX_AGE="0")["age"] == 0
