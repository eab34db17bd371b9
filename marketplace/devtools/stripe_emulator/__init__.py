"""A local Stripe for development and the tests: localstripe, extended.

`python -m marketplace.devtools.stripe_emulator --port N [--from-scratch]` serves, on
127.0.0.1 only, localstripe's emulation of the Stripe API (a PyPI dev
dependency, imported and built on, never copied) plus what Encore uses and
localstripe lacks, each shaped as Stripe's API reference documents it so that
the official `stripe` library works against it unchanged:

- idempotent requests (the `Idempotency-Key` header);
- PaymentIntent parameters (`use_stripe_sdk`, `return_url`, `transfer_group`),
  Stripe's test payment methods for 3-D Secure and disputes, the failed
  authentication webhook, `latest_charge` as an id unless expanded;
- Connect: Express accounts, account links and a stand-in of the hosted
  onboarding page, transfers and their reversals, the balance;
- disputes, with Stripe's test evidence values;
- Stripe.js additions to localstripe's stand-in (`createPaymentMethod`,
  `handleNextAction`).

Test-only routes under /_emulator/ do what Stripe's Dashboard would (open a
dispute on any charge, ask an account for more information).

This is a dev-only package: production code talks to Stripe through the
`stripe` library and never imports it.
"""
