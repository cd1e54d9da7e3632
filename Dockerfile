# syntax=docker/dockerfile:1
# Production image: gunicorn serves the portal, whitenoise its static files (no CDN, no nginx needed).
# The same image runs the Celery worker and beat (see docker-compose.yml).

# 1. Front-end packages, exactly as locked.
FROM node:20-bookworm-slim AS npm
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# 2. Copy the dist files the templates use into static/vendor/ (scripts/vendor_assets.py lists them).
FROM python:3.11-slim-bookworm AS vendor
WORKDIR /src
COPY --from=npm /src/node_modules ./node_modules
COPY scripts/vendor_assets.py ./scripts/
RUN python scripts/vendor_assets.py --verbose

# 3. The application.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=anyang_hte.settings.production
WORKDIR /app

RUN groupadd --system app && useradd --system --gid app --home-dir /app --no-create-home app

# pg_dump and pg_restore for `manage.py backup` / `restore`, of the database server's major version
# (postgres:15 in docker-compose.yml; bookworm's own packages are 15). WeasyPrint's pango and HarfBuzz,
# fontconfig and a CJK font for the PDF documents (通报, 奖励通知, 拨付表): the same list as
# scripts/ensure_system_packages.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# .dockerignore keeps .venv, node_modules, media and the SQLite file out. PYTHONPATH=/app makes this
# source tree (beside templates/, locale/, static/) the one imported, not the copy in site-packages.
COPY . .
RUN pip install -c constraints.txt .
COPY --from=vendor /src/static/vendor ./static/vendor

# collectstatic only needs settings that import: throwaway values, not kept in the image's environment.
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app
EXPOSE 8000
# Workers, threads, timeouts and logs: gunicorn.conf.py (WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT, ...).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "anyang_hte.wsgi:application"]
