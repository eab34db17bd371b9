"""The locked dependencies: `make install` checks them, `make lint` audits them.

    python marketplace/devtools/deps.py sync    after `pip install -r requirements-dev.lock`
    python marketplace/devtools/deps.py audit   known vulnerabilities of the locked releases

`sync` fails when pyproject.toml asks for a package or a range that the locks
lack (run `make lock`), or when requirements.lock pins a release that
requirements-dev.lock does not (the image would run other code than the
tests); then it uninstalls from the venv what the locks do not list, so the
venv holds the locks and nothing else.

`audit` runs pip-audit on requirements-dev.lock (which holds every release of
requirements.lock). It fails on any known vulnerability. When the vulnerability
database cannot be reached, or cannot tell about the locked releases, it says
so and passes (AUDIT_STRICT=1 makes that fail too): see README, "Dependencies".
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
BUILD_LOCK = ROOT / "requirements-build.lock"
# What `python -m venv` puts in every venv: left alone, locked or not.
VENV_OWN = {"pip", "setuptools", "wheel"}


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str
    hashes: int

    def applies(self) -> bool:
        """Whether this Python on this platform installs it."""
        return not self.marker or Requirement(f"{self.name}; {self.marker}").marker.evaluate()


def read_lock(path: Path) -> list[Pin]:
    """The pins of a requirements lock (continuation lines joined)."""
    text = path.read_text().replace("\\\n", " ")
    pins = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec = line.split(" --", 1)[0]
        hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
        requirement = Requirement(spec)
        specifiers = list(requirement.specifier)  # uv writes name==version
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise ValueError(f"{path.name}: not a pin: {spec}")
        (specifier,) = specifiers
        name = canonicalize_name(requirement.name)
        marker = str(requirement.marker or "")
        pins.append(Pin(name, specifier.version, marker, hashes))
    return pins


def project_requirements() -> dict[str, list[Requirement]]:
    """pyproject.toml's ranges: the runtime set, the dev extra, the build group."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    return {
        "runtime": [Requirement(r) for r in project["dependencies"]],
        "dev": [Requirement(r) for r in project["optional-dependencies"]["dev"]],
        "build": [Requirement(r) for r in pyproject["dependency-groups"]["build"]],
    }


def lock_problems() -> list[str]:
    """What makes the locks disagree with pyproject.toml or with each other."""
    wants = project_requirements()
    locks = {path: read_lock(path) for path in (LOCK, DEV_LOCK, BUILD_LOCK)}
    problems = []
    for path, pins in locks.items():
        problems += [f"{path.name}: {p.name} has no hash" for p in pins if not p.hashes]
    for path, wanted in (
        (LOCK, wants["runtime"]),
        (DEV_LOCK, wants["runtime"] + wants["dev"]),
        (BUILD_LOCK, wants["build"]),
    ):
        here = {p.name: p.version for p in locks[path] if p.applies()}
        for requirement in wanted:
            if requirement.marker and not requirement.marker.evaluate():
                continue
            name = canonicalize_name(requirement.name)
            if name not in here:
                problems.append(f"{path.name} does not pin {requirement} (pyproject.toml)")
            elif not requirement.specifier.contains(here[name], prereleases=True):
                problems.append(
                    f"{path.name} pins {name}=={here[name]}, outside {requirement} (pyproject.toml)"
                )
    dev_releases = {(p.name, p.version) for p in locks[DEV_LOCK]}
    problems += [
        f"{LOCK.name} pins {p.name}=={p.version}, {DEV_LOCK.name} does not"
        for p in locks[LOCK]
        if (p.name, p.version) not in dev_releases
    ]
    return problems


def sync() -> int:
    problems = lock_problems()
    if problems:
        print("The locks do not match pyproject.toml:", *problems, sep="\n  ", file=sys.stderr)
        print("Run `make lock` to resolve them again (README, Dependencies).", file=sys.stderr)
        return 1
    locked = {p.name for path in (DEV_LOCK, BUILD_LOCK) for p in read_lock(path) if p.applies()}
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    extra = sorted(installed - locked - VENV_OWN)
    if extra:
        print(f"Uninstalling what the locks do not list: {', '.join(extra)}")
        command = [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *extra]
        subprocess.run(command, check=True)  # noqa: S603 (our own interpreter, installed names)
    return 0


# --- audit ----------------------------------------------------------------------

# pip-audit's own words when the database is out of reach (requests' errors).
NETWORK_ERRORS = re.compile(
    r"ConnectionError|ProxyError|SSLError|Timeout|Max retries exceeded|"
    r"Name or service not known|Temporary failure in name resolution|Connection refused"
)


@dataclass
class Verdict:
    ok: bool
    message: str


def judge(returncode: int, report: dict | None, stderr: str, strict: bool) -> Verdict:
    """What one pip-audit run means: vulnerabilities fail; a database out of
    reach, or one that knows nothing of the locked releases, passes with a
    notice unless strict."""
    if report is None:
        if returncode != 0 and NETWORK_ERRORS.search(stderr):
            reason = NETWORK_ERRORS.search(stderr).group(0)
            return unreached(f"the vulnerability database did not answer ({reason})", strict)
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        return Verdict(False, f"pip-audit failed (exit {returncode}): {last[0]}")
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = []
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
                lines.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixed})")
        return Verdict(
            False,
            "Known vulnerabilities in the locked packages:\n  "
            + "\n  ".join(lines)
            + "\nRaise the range in pyproject.toml if needed, then `make lock UPGRADE=<name>`.",
        )
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if skipped and len(skipped) == len(dependencies):
        return unreached(
            f"the vulnerability database answered for none of the {len(dependencies)} "
            f"locked releases ({skipped[0]['skip_reason']})",
            strict,
        )
    if skipped:
        names = ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in skipped)
        return unreached(f"{len(skipped)} of {len(dependencies)} not checked: {names}", strict)
    return Verdict(True, f"No known vulnerabilities in the {len(dependencies)} locked releases.")


def unreached(reason: str, strict: bool) -> Verdict:
    return Verdict(
        not strict,
        f"AUDIT NOT DONE: {reason}. "
        + (
            "AUDIT_STRICT is set: failing."
            if strict
            else "Passing without it (set AUDIT_STRICT=1 to fail instead); "
            "run `make audit` where PyPI's vulnerability data can be reached."
        ),
    )


def audit() -> int:
    strict = os.environ.get("AUDIT_STRICT", "") not in ("", "0")
    ignored = os.environ.get("AUDIT_IGNORE", "").split()
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        command = [
            str(Path(sys.executable).parent / "pip-audit"),
            "--requirement",
            str(DEV_LOCK),
            "--disable-pip",  # the lock is complete and hashed: nothing to resolve
            "--vulnerability-service",
            "pypi",
            "--format",
            "json",
            "--output",
            str(output),
            "--progress-spinner",
            "off",
            *(f"--ignore-vuln={vuln}" for vuln in ignored),
        ]
        result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 (our own tool)
        text = output.read_text() if output.exists() else ""
    report = json.loads(text) if text.strip() else None
    verdict = judge(result.returncode, report, result.stderr, strict)
    print(verdict.message, file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    commands = {"sync": sync, "audit": audit}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(commands)}")
    sys.exit(commands[sys.argv[1]]())
