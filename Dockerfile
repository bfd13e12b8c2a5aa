# Production-like image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Pango and a font for WeasyPrint (PDF reports: offboarding, later analytics)
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY socialops ./socialops
COPY accounts ./accounts
COPY channels_registry ./channels_registry
COPY publishing ./publishing
COPY approvals ./approvals
COPY inbox ./inbox
COPY analytics ./analytics
COPY governance ./governance
RUN pip install --no-cache-dir .
COPY . .
RUN python -m socialops.i18n && DEBUG=0 SECRET_KEY=build-only-not-secret \
    CHANNEL_CREDENTIALS_KEYS=0ZMmKNFEkOUq6QQp0i6oNbOTaSvNS1QoXXmNAUXl3XU= \
    AUDIT_CHAIN_KEY=build-only-not-secret-audit-chain-key python manage.py collectstatic --noinput
RUN useradd --create-home socialops && mkdir -p /app/var && chown -R socialops /app/var
USER socialops
EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py", "socialops.wsgi:application"]
