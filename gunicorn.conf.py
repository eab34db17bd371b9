"""gunicorn settings for Encore's web nodes, read from the environment.

`gunicorn -c gunicorn.conf.py` serves marketplace.wsgi; flags on the command
line override any value here (`--workers 4`, `--bind ...`). docs/operations.md
describes each variable.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _cores() -> int:
    # The cores this process may run on (a container's cpuset), not the host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "marketplace.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000"]  # noqa: S104 (a container's port)

# gthread workers: each process serves GUNICORN_THREADS requests at once, so a
# purchase waiting for Stripe (a few hundred milliseconds, up to
# STRIPE_TIMEOUT_SECONDS) holds one thread, not a whole process. Each thread
# borrows a database connection from its process's pool while it serves a
# request: DB_POOL_MAX_SIZE (production settings) defaults to the threads.
# GUNICORN_THREADS=1 gives sync workers (one request per process).
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 4)

# A purchase makes up to three Stripe calls, each allowed STRIPE_TIMEOUT_SECONDS:
# a sync worker must outlive them, or a buyer gets a 502 while Stripe still
# answers. (A gthread worker is replaced when it stops answering gunicorn for
# this long, whatever its requests are waiting for.)
_stripe_timeout = float(os.environ.get("STRIPE_TIMEOUT_SECONDS") or 10)
timeout = _int("GUNICORN_TIMEOUT", int(3 * _stripe_timeout) + 10)
# On SIGTERM (a deploy), requests in flight get as long to finish as they may run.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", timeout)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# A worker is replaced after about this many requests, so slow leaks stay small;
# the jitter keeps the workers from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The proxies whose X-Forwarded-* headers are believed (comma-separated
# addresses or networks, "*" for any): the load balancer's, never the world's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

# Logs go to stdout and stderr, where the container runtime collects them.
# Django writes a JSON access line per request (marketplace/access.py, with
# its request id); GUNICORN_ACCESS_LOG="" turns gunicorn's own line off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# Client (as the proxy saw it), peer, time, request, status, bytes, duration, referer, agent.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# LOG_FORMAT=json (the production settings' default): gunicorn's own lines
# (start, stop, a worker timing out) are JSON objects like Django's, with the
# same fields (marketplace/core/logs.py); its access line, if kept, stays as above.
if (os.environ.get("LOG_FORMAT") or "json") == "json":
    logconfig_dict = {
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
            },
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["access_console"] if accesslog else [],
                "propagate": False,
            },
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "access_console": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["levelname", "name", "message"],
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            },
            "access": {"format": "%(message)s"},
        },
    }

# The workers' heartbeat files in memory: a container's disk can stall them.
SHM = "/dev/shm"  # noqa: S108 (a tmpfs, on purpose)
if os.path.isdir(SHM):
    worker_tmp_dir = SHM

proc_name = "encore-web"

# Prometheus metrics (marketplace/core/metrics.py): with PROMETHEUS_MULTIPROC_DIR
# set, each worker process keeps its counts in files there and /metrics adds
# them up. The folder is emptied when gunicorn starts: files of a previous
# run would be counted again, and their processes are gone.
METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# Held shared by a scrape while it reads the files (marketplace/scrape.py),
# exclusively while a dead worker's files are folded into the archive.
METRICS_LOCK = "compaction.lock"


def on_starting(server):
    if METRICS_DIR:
        os.makedirs(METRICS_DIR, exist_ok=True)
        for name in os.listdir(METRICS_DIR):
            if name.endswith(".db"):
                os.remove(os.path.join(METRICS_DIR, name))


def metrics_compact(pid: int) -> None:
    """Fold a dead worker's counts into one archive file per kind, then remove
    its files. Workers are replaced every GUNICORN_MAX_REQUESTS requests: kept
    one file each, they would grow without end (a scrape reads them all) and
    fill /dev/shm. The lock keeps a scrape from seeing a count twice or not
    at all (which Prometheus would take for a counter reset)."""
    import fcntl

    from prometheus_client.mmap_dict import MmapedDict

    with open(os.path.join(METRICS_DIR, METRICS_LOCK), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for kind in ("counter", "histogram"):
            dead = os.path.join(METRICS_DIR, f"{kind}_{pid}.db")
            if not os.path.exists(dead):
                continue
            archive = MmapedDict(os.path.join(METRICS_DIR, f"{kind}_archive.db"))
            try:
                for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(dead):
                    archive.write_value(key, archive.read_value(key)[0] + value, timestamp)
            finally:
                archive.close()
            os.remove(dead)


def child_exit(server, worker):
    if METRICS_DIR:
        from prometheus_client import multiprocess

        # A dead worker's counts stay (they were counted); its live gauges go.
        multiprocess.mark_process_dead(worker.pid)
        try:
            metrics_compact(worker.pid)
        except OSError:
            server.log.exception("Could not fold the metrics of worker %s", worker.pid)
