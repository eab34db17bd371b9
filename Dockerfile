FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs settings that import; the real secrets come at run time.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    REDIS_URL=redis://build STRIPE_SECRET_KEY=build STRIPE_PUBLISHABLE_KEY=build \
    STRIPE_WEBHOOK_SECRET=build BARCODE_HMAC_KEY=build \
    python manage.py collectstatic --noinput \
 && useradd --create-home encore && mkdir -p var && chown -R encore var
USER encore
EXPOSE 8000
CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
