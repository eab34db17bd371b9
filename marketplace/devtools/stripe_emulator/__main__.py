"""python -m marketplace.devtools.stripe_emulator --port N [--from-scratch]"""

import argparse

from .app import serve


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m marketplace.devtools.stripe_emulator",
        description="A local Stripe (localstripe, extended) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument(
        "--from-scratch", action="store_true", help="Start empty instead of reloading the store."
    )
    args = parser.parse_args()
    serve(port=args.port, from_scratch=args.from_scratch)


if __name__ == "__main__":
    main()
