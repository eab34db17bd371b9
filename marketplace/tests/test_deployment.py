"""The deployment files, run for real wherever this machine can run them.

gunicorn with gunicorn.conf.py serves the site under the production settings;
the containers' health probes (the Dockerfile's, compose's) are run against
it; the Dockerfile's collectstatic line runs as written; the worker's and
beat's compose health checks ping real Celery processes. The compose file and
the operations guide are read and checked together, since no Docker engine
runs here.
"""

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import uuid
from http.client import HTTPConnection
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from marketplace.testing import free_port, wait_for
from marketplace.tests.workers import worker_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "encore.example.com"
APP_SERVICES = ("migrate", "web", "worker", "beat")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def dockerfile_healthcheck() -> list[str]:
    (instruction,) = [i for i in dockerfile_instructions() if i.startswith("HEALTHCHECK")]
    return json.loads(instruction.split(" CMD ", 1)[1])  # the exec form is JSON


def image_env() -> dict[str, str]:
    """The runtime stage's ENV (the one that names the settings)."""
    (words,) = [
        shlex.split(i)[1:]
        for i in dockerfile_instructions()
        if i.startswith("ENV ") and "DJANGO_SETTINGS_MODULE" in i
    ]
    return dict(word.split("=", 1) for word in words)


def dotenv_template() -> dict[str, str]:
    """The .env template of docs/operations.md (its ```dotenv block)."""
    text = (ROOT / "docs" / "operations.md").read_text()
    (block,) = re.findall(r"```dotenv\n(.*?)```", text, re.S)
    pairs = (line.split("=", 1) for line in block.splitlines() if re.match(r"[A-Z_]+=", line))
    return dict(pairs)


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, and $$ for $."""

    def one(match):
        name, kind, fallback = match.groups()
        if variables.get(name):
            return variables[name]
        assert kind != "?", f"{name} is required: {fallback}"
        return fallback or ""

    value = re.sub(r"\$\{(\w+)(?::([-?])([^}]*))?\}", one, value)
    return value.replace("$$", "$")


def run(argv, *, env, timeout=120):
    argv = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
    return subprocess.run(  # noqa: S603 (the project's own commands)
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def start_process(argv, env, log: Path) -> subprocess.Popen:
    """A server process of the project, its output in `log`."""
    output = log.open("wb")
    process = subprocess.Popen(  # noqa: S603 (the project's own commands)
        argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
    )
    process.output = output
    return process


def stop_process(process, sig=signal.SIGKILL) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    process.wait(timeout=60)
    process.output.close()


# --- gunicorn.conf.py ---------------------------------------------------------


def gunicorn_config(*flags, **env) -> dict[str, str]:
    result = run(
        [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", *flags, "--print-config"],
        env={"PATH": os.environ["PATH"], **env},
    )
    assert result.returncode == 0, result.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.M))


def test_gunicorn_config_defaults_suit_a_container():
    config = gunicorn_config()

    assert config["wsgi_app"] == "marketplace.wsgi:application"
    assert config["bind"] == "['0.0.0.0:8000']"
    assert int(config["workers"]) == 2 * len(os.sched_getaffinity(0)) + 1
    # A purchase's Stripe calls (STRIPE_TIMEOUT_SECONDS each, 10 by default)
    # finish before the worker is killed, and before a deploy stops it.
    assert int(config["timeout"]) > 3 * 10
    assert int(config["graceful_timeout"]) >= int(config["timeout"])
    assert config["accesslog"] == "-"
    assert int(config["max_requests"]) > 0 and int(config["max_requests_jitter"]) > 0
    assert config["worker_tmp_dir"] == "/dev/shm"  # noqa: S108 (gunicorn's heartbeat files)


def test_gunicorn_config_reads_the_environment():
    config = gunicorn_config(
        WEB_CONCURRENCY="3",
        GUNICORN_BIND="127.0.0.1:9001",
        GUNICORN_THREADS="4",
        STRIPE_TIMEOUT_SECONDS="20",
        GUNICORN_KEEPALIVE="75",
        FORWARDED_ALLOW_IPS="10.0.0.0/8",
    )

    assert config["workers"] == "3"
    assert config["bind"] == "['127.0.0.1:9001']"
    assert config["threads"] == "4"
    assert int(config["timeout"]) > 3 * 20
    assert config["keepalive"] == "75"
    assert config["forwarded_allow_ips"] == "['10.0.0.0/8']"


def test_command_line_flags_override_the_config():
    config = gunicorn_config("--workers", "1", "--bind", "127.0.0.1:9002", WEB_CONCURRENCY="3")

    assert config["workers"] == "1"
    assert config["bind"] == "['127.0.0.1:9002']"


# --- gunicorn serving the site, and the containers' probes --------------------


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Static files collected under the production settings, as the image's
    build collects them: production pages (error pages included) need the
    manifest."""
    root = tmp_path_factory.mktemp("static")
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": "collect",
        "JWT_SIGNING_KEY": "collect-only-it-never-signs-a-token",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": "sqlite:////tmp/collect.db",
        "REDIS_URL": "redis://collect",
        "STRIPE_SECRET_KEY": "collect",
        "STRIPE_PUBLISHABLE_KEY": "collect",
        "STRIPE_WEBHOOK_SECRET": "collect",
        "BARCODE_HMAC_KEY": "collect",
        "STATIC_ROOT": str(root),
    }
    result = run(["python", "manage.py", "collectstatic", "--noinput"], env=env)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def start_gunicorn(localstripe, tmp_path, static_root):
    """start_gunicorn(database_url, **env) -> (process, env, log): gunicorn with
    the config under the production settings, on a free port, its environment
    plus `env`; stopped at the end."""
    started = []

    def start(database_url, **extra_env):
        env = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": settings.STRIPE_PUBLISHABLE_KEY,
            # Production refuses the embedded run's published secret.
            "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_urlsafe(24)}",
            "STRIPE_API_BASE": localstripe,
            "BARCODE_HMAC_KEY": secrets.token_urlsafe(32),
            "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
            "STATIC_ROOT": str(static_root),
            "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "2",
            **extra_env,
        }
        log = tmp_path / f"gunicorn-{len(started)}.log"
        process = start_process([str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"], env, log)
        started.append(process)

        def answering():
            assert process.poll() is None, log.read_text()
            try:
                return get(env, "/health/live")[0] == 200
            except OSError:
                return False

        wait_for(answering, timeout=60, what="gunicorn to answer")
        return process, env, log

    yield start
    for process in started:
        stop_process(process)


def get(env, path, host=HOST):
    connection = HTTPConnection(*env["GUNICORN_BIND"].split(":"), timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read()
    finally:
        connection.close()


def probes():
    """The web container's health probes: the Dockerfile's and compose's."""
    return {
        "Dockerfile": dockerfile_healthcheck(),
        "compose": compose()["services"]["web"]["healthcheck"]["test"][1:],
    }


def probe(command, env):
    probe_env = {"PATH": os.environ["PATH"]}
    probe_env.update({k: env[k] for k in ("ALLOWED_HOSTS", "GUNICORN_BIND")})
    return run(command, env=probe_env, timeout=30)


@pytest.mark.django_db
def test_gunicorn_serves_the_site_under_production_settings(start_gunicorn):
    process, env, log = start_gunicorn(worker_database_url())

    status, _, body = get(env, "/health")
    assert status == 200, body
    assert json.loads(body)["services"] == {
        "database": "up",
        "redis": "up",
        "payment": "up",
    }
    assert get(env, "/health/ready")[0] == 200
    # Probes come over plain HTTP; pages still go to HTTPS.
    assert get(env, "/")[:2] == (301, f"https://{HOST}/")
    # A host name outside ALLOWED_HOSTS is refused, hence the probes' Host header.
    assert get(env, "/health", host="127.0.0.1")[0] == 400

    for name, command in probes().items():
        result = probe(command, env)
        assert result.returncode == 0, f"{name}: {result.stderr}"
    assert '"GET /health HTTP/1.1" 200' in log.read_text()

    # A deploy's SIGTERM: gunicorn finishes its requests and exits cleanly.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    for command in probes().values():
        assert probe(command, env).returncode != 0


def test_web_probes_fail_when_the_database_is_down(start_gunicorn):
    _, env, _ = start_gunicorn(f"postgres://encore@127.0.0.1:{free_port()}/encore")

    assert get(env, "/health/live")[0] == 200
    assert get(env, "/health/ready")[0] == 503
    for name, command in probes().items():
        result = probe(command, env)
        assert result.returncode != 0, name
        assert "503" in result.stderr, name


def scrape_total(env, token, name, **labels) -> float:
    """The value of one series in a scrape of gunicorn's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    connection = HTTPConnection(*env["GUNICORN_BIND"].split(":"), timeout=10)
    try:
        connection.request(
            "GET", "/metrics", headers={"Host": HOST, "Authorization": f"Bearer {token}"}
        )
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, body
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


@pytest.mark.django_db
def test_gunicorn_logs_json_lines_and_its_workers_metrics_add_up(start_gunicorn, tmp_path):
    # given a metrics folder holding a previous run's counts
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")
    token = secrets.token_urlsafe(32)

    # when gunicorn starts two workers, each replaced after 5 requests, with
    # Django's access line only
    process, env, log = start_gunicorn(
        worker_database_url(),
        GUNICORN_ACCESS_LOG="",
        GUNICORN_MAX_REQUESTS="5",
        GUNICORN_MAX_REQUESTS_JITTER="0",
        METRICS_TOKEN=token,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )

    # then the stale counts are gone, and the requests of every worker, the
    # replaced ones included, add up
    assert not (metrics_dir / "counter_999999.db").exists()
    series = ("encore_http_responses_total", {"view": "health-live", "status": "200"})
    before = scrape_total(env, token, series[0], **series[1])
    for _ in range(24):
        assert get(env, "/health/live")[0] == 200
    after = scrape_total(env, token, series[0], **series[1])
    assert after - before == 24
    # The replaced workers' files were folded into one archive per kind.
    assert (metrics_dir / "counter_archive.db").exists()
    per_process = [f for f in metrics_dir.glob("*_*.db") if not f.stem.endswith("archive")]
    assert len(per_process) <= 2 * 2  # a counter and a histogram file per live worker
    assert get(env, "/metrics")[0] == 401  # no token, no metrics
    # ...and every line gunicorn and Django wrote is one JSON object
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "marketplace.access"} <= loggers
    access = [line for line in lines if line["logger"] == "marketplace.access"]
    assert {line["path"] for line in access} >= {"/health/live", "/metrics"}
    assert all(line["request_id"] and line["time"] for line in access)


# --- Dockerfile ---------------------------------------------------------------


def test_the_dockerfile_collectstatic_line_works(tmp_path):
    (run_line,) = [i for i in dockerfile_instructions() if "collectstatic" in i and i[:4] == "RUN "]
    (command,) = [c for c in run_line[4:].split("&&") if "collectstatic" in c]
    words = shlex.split(command)
    assignments = dict(w.split("=", 1) for w in words if re.match(r"[A-Z_]+=", w))
    argv = [w for w in words if not re.match(r"[A-Z_]+=", w)]
    settings_module = image_env()["DJANGO_SETTINGS_MODULE"]
    # The same settings, with STATIC_ROOT in a temporary folder.
    static_root = tmp_path / "static"
    (tmp_path / "collect_settings.py").write_text(
        f"from {settings_module} import *  # noqa\nSTATIC_ROOT = {str(static_root)!r}\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(tmp_path),
        **assignments,
        "DJANGO_SETTINGS_MODULE": "collect_settings",
    }

    result = run(argv, env=env)

    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/site.css"]
    assert hashed != "css/site.css"
    assert (static_root / hashed).is_file() and (static_root / f"{hashed}.gz").is_file()


def test_both_stages_install_the_lock_and_only_files_with_its_hashes():
    builder, runtime = [i for i in dockerfile_instructions() if i[:4] == "RUN " and " pip " in i]

    for stage in (builder, runtime):
        assert "--require-hashes" in stage.split()
        # Exactly the lock's releases: pip does not resolve again (Makefile,
        # install-locks), and the runtime checks the set is complete.
        assert "--no-deps" in stage.split()
        assert "requirements.lock" in stage
    assert "pip check" in runtime
    # The builder fetches wheels only; the runtime stage reaches no index.
    assert "pip download" in builder and "--only-binary=:all:" in builder.split()
    assert "pip install" in runtime and "--no-index" in runtime.split()


def image_files() -> list[Path]:
    """The files `COPY . .` puts in the image: the tree less .dockerignore's
    patterns (names, globs, "**/" for any folder), never what git ignores."""
    import fnmatch

    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tracked = subprocess.run(  # noqa: S603 (git, listing the tree)
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            anywhere = pattern.removeprefix("**/")
            for prefix in prefixes:
                if fnmatch.fnmatchcase(prefix, pattern):
                    return True
                if pattern.startswith("**/") and fnmatch.fnmatchcase(
                    prefix.split("/")[-1], anywhere
                ):
                    return True
        return False

    return [Path(path) for path in tracked if (ROOT / path).is_file() and not ignored(path)]


def test_the_image_holds_no_development_tool_and_production_starts_without_them(tmp_path):
    files = image_files()
    for path in files:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes((ROOT / path).read_bytes())

    names = {str(path) for path in files}
    assert not any(name.startswith(("marketplace/devtools/", "bench/")) for name in names)
    assert not any("/tests/" in name for name in names)
    assert "marketplace/testing.py" not in names
    assert {"manage.py", "requirements.lock", "marketplace/settings/production.py"} <= names
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": "postgres://encore@db.example.com:5432/encore",
        "REDIS_URL": "redis://cache.example.com:6379/0",
        "STRIPE_SECRET_KEY": "sk_live_from_the_vault",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_from_the_vault",
        "STRIPE_WEBHOOK_SECRET": "whsec_from_the_vault",
        "BARCODE_HMAC_KEY": secrets.token_urlsafe(32),
    }

    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


# --- docker-compose.yml -------------------------------------------------------


def test_every_service_is_probed_restarted_and_started_in_order():
    services = compose()["services"]

    assert set(services) == {*APP_SERVICES, "postgres", "redis"}
    for name, service in services.items():
        if name == "migrate":
            # A one-shot job: no probe, no restart, the others wait for it.
            assert service["healthcheck"] == {"disable": True}
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
        assert service["restart"] == "unless-stopped", name
        for dependency, how in service.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "test" in services[dependency]["healthcheck"], (name, dependency)
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["beat"]["deploy"]["replicas"] == 1


def test_app_services_share_one_image_each_with_its_command():
    services = compose()["services"]
    volumes = compose()["volumes"]

    assert {services[name]["image"] for name in APP_SERVICES} == {"${ENCORE_IMAGE:-encore:latest}"}
    commands = {name: " ".join(services[name]["command"]) for name in APP_SERVICES}
    assert commands["migrate"] == "python manage.py migrate --noinput"
    assert commands["web"] == "gunicorn --config gunicorn.conf.py"
    assert commands["worker"].startswith("celery -A marketplace worker")
    assert commands["beat"].startswith("celery -A marketplace beat")
    assert "private-files:/app/var/private" in services["web"]["volumes"]
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in volumes


def production_required_names() -> set[str]:
    source = (ROOT / "marketplace" / "settings" / "production.py").read_text()
    return set(re.findall(r'required\("([A-Z0-9_]+)"\)', source)) | set(
        re.findall(r"([A-Z][A-Z0-9_]+) must be set in production", source)
    )


def test_the_env_template_and_compose_give_production_all_it_requires():
    template = dotenv_template()
    app_env = compose()["services"]["web"]["environment"]
    required = production_required_names()

    assert {"SECRET_KEY", "STRIPE_SECRET_KEY", "ALLOWED_HOSTS"} <= required
    # Required only with EMAIL_PROVIDER (a provider's API instead of SMTP): the
    # template names it, commented out with the provider's own credentials.
    with_a_provider = {"ANYMAIL_WEBHOOK_SECRET"}
    assert required - with_a_provider <= set(template) | set(app_env)
    block = re.search(r"```dotenv\n(.*?)```", (ROOT / "docs" / "operations.md").read_text(), re.S)
    for name in with_a_provider | {"EMAIL_PROVIDER"}:
        assert f"# {name}=" in block.group(1), name
    assert "POSTGRES_PASSWORD" in template
    # The settings start with exactly what a container gets.
    container_env = {
        "PATH": os.environ["PATH"],
        **image_env(),
        **template,
        **{name: interpolate(value, template) for name, value in app_env.items()},
    }
    result = run(["python", "manage.py", "check"], env=container_env)
    assert result.returncode == 0, result.stderr


# --- The worker's and beat's health checks, against real Celery processes -----


@pytest.mark.parametrize("service, node", [("worker", "celery"), ("beat", "celerybeat")])
def test_celery_health_checks_ping_the_process(service, node, broker_url, tmp_path):
    services = compose()["services"]
    command = [interpolate(word, {}) for word in services[service]["command"]]
    check = interpolate(services[service]["healthcheck"]["test"][1], {})
    hostname = f"encore-probe-{uuid.uuid4().hex[:8]}"
    # On this machine: a name and a queue of its own, the schedule in tmp_path.
    command += ["--hostname", f"{node}@{hostname}"]
    if service == "worker":
        command += ["--queues", f"probe-{hostname}"]
    schedule = "/tmp/celerybeat-schedule"  # noqa: S108 (compose's, replaced here)
    command = [w.replace(schedule, str(tmp_path / "schedule")) for w in command]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "HOSTNAME": hostname,
        # `celery` on the PATH, as in the image.
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    log = tmp_path / f"{service}.log"
    process = start_process([str(BIN / command[0]), *command[1:]], env, log)

    def healthy():
        assert process.poll() is None, log.read_text()
        return run(["sh", "-c", check], env=env, timeout=60).returncode == 0

    try:
        wait_for(healthy, timeout=90, what=f"the {service} to answer its health check")
    finally:
        stop_process(process, signal.SIGTERM)

    assert run(["sh", "-c", check], env=env, timeout=60).returncode != 0


def test_the_guide_lists_every_periodic_job():
    text = (ROOT / "docs" / "operations.md").read_text()
    rows = dict(re.findall(r"^\| `([\w-]+)` \| `([\w.]+)` \|", text, re.M))

    for name, job in settings.CELERY_BEAT_SCHEDULE.items():
        assert rows.get(name) == job["task"], f"{name} is missing from docs/operations.md"
