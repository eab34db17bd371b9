# syntax=docker/dockerfile:1
# Encore's image: gunicorn (the default command), and the same image runs the
# Celery worker, celery beat and migrations (see docker-compose.yml).

# --- builder: every locked release, as the wheel the lock names ---------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# requirements.lock pins every release with the hashes of its files (README,
# "Dependencies"): a file whose hash differs is refused. Every release in it
# ships wheels for Linux on x86_64 and aarch64: nothing is compiled, and a
# release that ships none stops the build here, by name.
COPY requirements.lock ./
RUN pip download --require-hashes --no-deps --only-binary=:all: --dest /src/wheels --requirement requirements.lock

# --- runtime: Python, the wheels installed, the code ---------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production

RUN groupadd --system --gid 10001 encore \
 && useradd --system --uid 10001 --gid encore --create-home --home-dir /home/encore encore

# The wheels are mounted for the install only: no copy of them stays in a layer.
# The same lock, the same hashes, and no index: only those files can install.
RUN --mount=type=bind,from=builder,source=/src,target=/src \
    pip install --no-index --find-links /src/wheels --require-hashes --no-deps --requirement /src/requirements.lock \
 && pip check

WORKDIR /app
COPY . .

# collectstatic needs settings that import; the real secrets come at run time.
# (marketplace/tests/test_deployment.py runs this same line.)
RUN python marketplace/devtools/translations.py compile
RUN SECRET_KEY=collectstatic JWT_SIGNING_KEY=collectstatic-only-it-never-signs-a-token ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/collectstatic.db REDIS_URL=redis://localhost:6379/0 STRIPE_SECRET_KEY=sk_collectstatic STRIPE_PUBLISHABLE_KEY=pk_collectstatic STRIPE_WEBHOOK_SECRET=whsec_collectstatic BARCODE_HMAC_KEY=collectstatic python manage.py collectstatic --noinput \
 && python -m compileall -q /app

# The code stays root's and read-only to the app; the ticket files are its own,
# on a volume (shared storage when web runs on several hosts).
RUN mkdir -p /app/var/private /app/var/media \
 && chown -R encore:encore /app/var/private /app/var/media
VOLUME ["/app/var/private", "/app/var/media"]

USER encore
EXPOSE 8000

# /health/ready: this node can serve (its process and the database answer);
# Redis or Stripe down only degrade the site. The probe sends a host name the
# site accepts (ALLOWED_HOSTS) and fails on any answer but 2xx.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip(' .*') or 'localhost'; port = os.environ.get('GUNICORN_BIND', ':8000').rsplit(':', 1)[1]; u.urlopen(u.Request(f'http://127.0.0.1:{port}/health/ready', headers={'Host': host}), timeout=8)"]

CMD ["gunicorn", "--config", "gunicorn.conf.py"]
