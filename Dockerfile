# syntax=docker/dockerfile:1
# Image for the live attendance service: Daphne serving attendance_project.asgi.
# Needs BuildKit (the default builder since Docker 23; older engines: DOCKER_BUILDKIT=1).

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: turn the pinned requirements into wheels -----------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /build
COPY requirements.txt constraints.txt ./
# Every pinned dependency ships manylinux wheels for CPython 3.11, so no compiler is
# installed; should one ever need building, add build-essential here, never below.
RUN pip wheel --wheel-dir /wheels -r requirements.txt -c constraints.txt

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PORT=3000 \
    DJANGO_SETTINGS_MODULE=attendance_project.settings.production \
    SQLITE_PATH=/app/data/db.sqlite3

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The wheels are bind-mounted
# from the builder rather than copied, so they never become a layer of this image.
COPY requirements.txt constraints.txt ./
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels -r requirements.txt -c constraints.txt

COPY . .
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/docker-entrypoint

# The secret exists only for this command: settings refuse the default one with DEBUG off,
# and collectstatic touches neither the database nor Redis. The code stays root-owned;
# only the SQLite fallback directory (used when neither MONGO_URI nor DATABASE_URL is set)
# is writable by the service user.
RUN JWT_SECRET=build-only-not-secret-collectstatic-only DEBUG=0 python manage.py collectstatic --noinput \
    && mkdir -p /app/data \
    && chown app:app /app/data

USER app:app

EXPOSE 3000

# Fails on a refused connection, a timeout or any non-2xx answer (urlopen raises on those).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

ENTRYPOINT ["docker-entrypoint"]
