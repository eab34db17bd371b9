"""The cache on Redis: django-redis, failing open and fast when Redis is down.

With IGNORE_EXCEPTIONS on, django-redis turns a Redis outage into misses: a
read finds nothing, a write stores nothing, and the page is built from the
database. Two things are added here.

`add()` fails open too. django-redis answers None for an ignored error, which
callers read as "the key is already there": django-allauth takes a lock with
`cache.add()` around each rate limit, waits a second for it, then refuses the
request with 429, so with Redis down every site login, sign-up and password
reset was refused. Here `add()` reports success instead, as if the lock were
free and the counter empty: allauth's limits and django-ratelimit's (which
then counts each request as the first of its window) let requests through,
like RATELIMIT_FAIL_OPEN.

A Redis that does not answer costs one wait, not one per call. A Redis that
refuses connections fails at once, but one that hangs (a host gone from the
network, a stuck server) makes each call wait SOCKET_CONNECT_TIMEOUT or
SOCKET_TIMEOUT, and a page makes several calls. After a connection error or
a timeout, each process skips that Redis for CACHE_REDIS_RETRY_SECONDS (the
calls fail at once, as misses), then tries it again: a circuit breaker. The
outage is logged once per pause, not once per call.
"""

import logging
import threading
import time

import redis
from django.conf import settings
from django_redis.cache import RedisCache as DjangoRedisCache

logger = logging.getLogger(__name__)


class RedisCache(DjangoRedisCache):
    def add(self, *args, **kwargs):
        added = super().add(*args, **kwargs)
        # None is django-redis's answer for "Redis unreachable, error ignored";
        # a key that exists answers False.
        return True if added is None else added


class _Breaker:
    """Until when each Redis server (host, port) is skipped, in this process."""

    def __init__(self):
        self._skip_until: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def skipped(self, server: tuple) -> bool:
        return time.monotonic() < self._skip_until.get(server, 0.0)

    def trip(self, server: tuple, error: Exception) -> None:
        pause = settings.CACHE_REDIS_RETRY_SECONDS
        with self._lock:
            already = self.skipped(server)
            self._skip_until[server] = time.monotonic() + pause
        if not already:
            logger.error(
                "Redis at %s:%s unreachable (%s): the cache and rate limits are "
                "skipped for %s s, then Redis is tried again.",
                *server,
                error,
                pause,
            )

    def reset(self) -> None:
        with self._lock:
            self._skip_until.clear()


breaker = _Breaker()


class CircuitBreakerRedis(redis.Redis):
    """The Redis client of the cache (django-redis REDIS_CLIENT_CLASS)."""

    def _server(self) -> tuple:
        kwargs = self.connection_pool.connection_kwargs
        return (kwargs.get("host") or kwargs.get("path"), kwargs.get("port"))

    def execute_command(self, *args, **options):
        server = self._server()
        if breaker.skipped(server):
            raise redis.ConnectionError("Redis skipped: it was unreachable a moment ago.")
        try:
            return super().execute_command(*args, **options)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            breaker.trip(server, exc)
            raise
        except redis.RedisError:
            # Not an outage (a command Redis refused): django-redis ignores it,
            # the log keeps it.
            logger.exception("Redis refused %s", args[0] if args else "a command")
            raise

    def pipeline(self, *args, **kwargs):
        # set_many and delete_many send their commands in one pipeline, which
        # does not go through execute_command: the breaker guards it too.
        return _BreakerPipeline(self, super().pipeline(*args, **kwargs))


class _BreakerPipeline:
    """A pipeline of CircuitBreakerRedis: skipped while its Redis is, and
    tripping the breaker when it finds Redis unreachable."""

    def __init__(self, client: CircuitBreakerRedis, pipeline):
        self._client = client
        self._pipeline = pipeline

    def __getattr__(self, name):
        return getattr(self._pipeline, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._pipeline.reset()

    def execute(self, *args, **kwargs):
        server = self._client._server()
        if breaker.skipped(server):
            self._pipeline.reset()
            raise redis.ConnectionError("Redis skipped: it was unreachable a moment ago.")
        try:
            return self._pipeline.execute(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            breaker.trip(server, exc)
            raise
