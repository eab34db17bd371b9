from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """What runs Encore on a laptop and in the tests: the demo data, the local
    Stripe, `runlocal` and its in-process scheduler, the benchmark's seeder.
    Installed by the development and test settings only; production's never
    load it (docs/architecture.md)."""

    name = "marketplace.devtools"
    label = "devtools"
    verbose_name = "Development tools"
