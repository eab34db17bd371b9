"""The direction of imports (docs/architecture.md, "Layers"): the contracts in
pyproject.toml hold, they name every module of the project's top, and they
catch a wrong import when one is made."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ["marketplace", "accounts", "events", "tickets", "listings", "payments", "messaging"]


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own tool)
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def top_modules() -> set[str]:
    """Every module and package directly in marketplace/ but the kernel, the
    development tools and the tests."""
    found = set()
    for path in (ROOT / "marketplace").iterdir():
        name = path.stem if path.suffix == ".py" else path.name
        if path.name.startswith(("_", ".")) or name in {"core", "devtools", "tests"}:
            continue
        if path.suffix == ".py" or (path / "__init__.py").exists():
            found.add(f"marketplace.{name}")
    return found


def test_every_module_of_the_top_is_named_in_the_contracts():
    forbidden = set(contracts()["nothing-imports-the-top"]["forbidden_modules"])
    kernel_forbidden = set(contracts()["kernel-is-a-leaf"]["forbidden_modules"])

    assert top_modules() == {m for m in forbidden if m.startswith("marketplace.")}
    assert top_modules() <= kernel_forbidden


def test_every_app_is_bound_by_the_contracts():
    apps = set(PACKAGES) - {"marketplace"}
    pages_and_api = set(contracts()["pages-and-api-apart"]["modules"])

    assert apps <= set(contracts()["kernel-is-a-leaf"]["forbidden_modules"])
    assert apps <= set(contracts()["nothing-imports-the-top"]["source_modules"])
    assert {f"{app}.{kind}" for app in apps for kind in ("views", "api")} == pages_and_api


@pytest.fixture
def tree_copy(tmp_path):
    """The project's Python packages and pyproject.toml, copied to be broken."""
    ignore = shutil.ignore_patterns("__pycache__", "migrations", "*.html", "*.js", "*.css")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_this_tree(tree_copy):
    result = lint_imports(tree_copy)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "refusal"),
    [
        # The kernel reaching into an app.
        (
            "marketplace/core/money.py",
            "from payments.models import Transaction",
            "marketplace.core is not allowed to import payments",
        ),
        # An app importing the project's top.
        (
            "listings/services.py",
            "from marketplace.urls import urlpatterns",
            "listings is not allowed to import marketplace.urls",
        ),
        # Production code importing the development tools.
        (
            "payments/services/payment.py",
            "from marketplace.devtools import demo_data",
            "payments is not allowed to import marketplace.devtools",
        ),
        # One app's page importing another app's API.
        (
            "tickets/views.py",
            "from listings.api import ListingOutput",
            "tickets.views is not allowed to import listings.api",
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(tree_copy, module, wrong_import, refusal):
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n{wrong_import}  # noqa\n")

    result = lint_imports(tree_copy)

    assert result.returncode != 0
    assert "1 broken" in result.stdout
    assert refusal in result.stdout
