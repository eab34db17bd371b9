"""The locks (marketplace/devtools/deps.py): they agree with pyproject.toml, and the audit
fails on a vulnerability but only says so when the database is out of reach."""

from marketplace.devtools import deps

NETWORK_DOWN = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='index', port=443): "
    "Max retries exceeded with url: /pypi/django/5.2.20/json"
)


def test_the_locks_agree_with_pyproject_and_with_each_other():
    assert deps.lock_problems() == []


def test_every_pin_has_hashes_and_the_runtime_set_is_the_tested_one():
    runtime, dev = deps.read_lock(deps.LOCK), deps.read_lock(deps.DEV_LOCK)

    assert all(pin.hashes for pin in runtime + dev)
    assert {(p.name, p.version) for p in runtime} <= {(p.name, p.version) for p in dev}
    # Packages only some platforms or Pythons install keep their markers.
    assert any(pin.marker and not pin.applies() for pin in runtime)
    assert {"django", "gunicorn", "celery"} <= {p.name for p in runtime if p.applies()}
    assert not {"pytest", "ruff", "pip-audit", "uv"} & {p.name for p in runtime}


def test_a_range_the_lock_does_not_meet_is_named(monkeypatch):
    wants = deps.project_requirements()
    wants["runtime"].append(deps.Requirement("Django>=99"))
    wants["dev"].append(deps.Requirement("not-locked-yet>=1"))
    monkeypatch.setattr(deps, "project_requirements", lambda: wants)

    problems = deps.lock_problems()

    assert "requirements.lock pins django==" in "\n".join(problems)
    assert any("does not pin not-locked-yet>=1" in p for p in problems)


def report(*dependencies):
    return {"dependencies": list(dependencies), "fixes": []}


def test_a_known_vulnerability_fails_the_audit_and_names_the_fix():
    vulnerable = {
        "name": "django",
        "version": "5.2.1",
        "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"]}],
    }

    verdict = deps.judge(1, report(vulnerable, {"name": "segno", "version": "1.6.6"}), "", False)

    assert not verdict.ok
    assert "django 5.2.1: PYSEC-2025-1 (fixed in: 5.2.2)" in verdict.message


def test_no_vulnerability_passes():
    clean = report({"name": "segno", "version": "1.6.6", "vulns": []})

    assert deps.judge(0, clean, "", False) == deps.Verdict(
        True, "No known vulnerabilities in the 1 locked releases."
    )


def test_a_database_out_of_reach_passes_with_a_notice_unless_strict():
    for outcome in (
        (1, None, NETWORK_DOWN),
        (0, report({"name": "segno", "skip_reason": "Dependency not found on PyPI"}), ""),
    ):
        lenient, strict = deps.judge(*outcome, False), deps.judge(*outcome, True)

        assert lenient.ok and lenient.message.startswith("AUDIT NOT DONE")
        assert not strict.ok and "AUDIT_STRICT" in strict.message


def test_an_audit_that_breaks_for_another_reason_fails():
    verdict = deps.judge(2, None, "Traceback...\nValueError: bad requirement", False)

    assert not verdict.ok and "ValueError: bad requirement" in verdict.message
