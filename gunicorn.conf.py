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

# Sync workers by default: one request per process, killed when it overruns
# `timeout`. GUNICORN_THREADS above 1 switches to gthread workers.
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 1)

# A purchase makes up to three Stripe calls, each allowed STRIPE_TIMEOUT_SECONDS:
# the worker must outlive them, or a buyer gets a 502 while Stripe still answers.
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
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# Client (as the proxy saw it), peer, time, request, status, bytes, duration, referer, agent.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# The workers' heartbeat files in memory: a container's disk can stall them.
SHM = "/dev/shm"  # noqa: S108 (a tmpfs, on purpose)
if os.path.isdir(SHM):
    worker_tmp_dir = SHM

proc_name = "encore-web"
