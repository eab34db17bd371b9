"""Where a request's time goes: cProfile over many requests of one URL, in process.

    python bench/profile_page.py /events/7/ [--requests 500] [--logged-in]

Run it after `make bench`, on its filled database (encore_bench) and Redis,
with the production settings: each request goes through the whole middleware
stack and the view, as under gunicorn, without the network. The first request
warms the caches; the profile covers the rest. Prints the functions that took
the most time of their own, and the most time with what they called.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import server  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--logged-in", action="store_true", help="as the first bench buyer")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    os.environ.update(server.environment(stripe_port=server.free_port()))

    import django

    django.setup()
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    if args.logged_in:
        client.force_login(User.objects.filter(email__startswith="bench-buyer-").first())
    first = client.get(args.path)
    if first.status_code != 200:
        raise SystemExit(f"{args.path} answered {first.status_code}")
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        client.get(args.path)
    profile.disable()
    each_ms = (time.perf_counter() - started) / args.requests * 1000
    print(f"{args.path}: {args.requests} requests, {each_ms:.2f} ms each (profiled)\n")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats(order).print_stats(args.top)
        print(text.getvalue())


if __name__ == "__main__":
    main()
