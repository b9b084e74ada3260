# syntax=docker/dockerfile:1
# Kith's production image: daphne serving config.asgi. docker-compose.yml runs it as
# the migrate and static one-shots and as the web processes behind nginx.
# Debian 13 (trixie): its PostgreSQL client is 17, new enough for the compose file's
# server (16); pg_dump must not be older than the server it dumps.
# The front end's npm packages are bundled in a stage of their own (make assets does
# the same on a developer's machine); only the bundles reach the image.
FROM node:20-slim AS assets
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/assets ./assets
RUN npm run -s build

FROM python:3.12-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# pg_dump and pg_restore, for manage.py backup and restore (README, "Backup and
# restore").
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# The hashed lock alone first, so a code change does not reinstall the dependencies.
# --require-hashes also refuses any package the lock does not pin.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

COPY . .
COPY --from=assets /src/frontend/static/frontend/build frontend/static/frontend/build

# collectstatic runs only the staticfiles system checks, not the kith production checks
# (SECRET_KEY, REDIS_URL), so the build needs no secret. Files stay owned by root:
# the server only reads them.
RUN python manage.py collectstatic --no-input \
    && groupadd --system kith \
    && useradd --system --gid kith --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin kith

USER kith
EXPOSE 8000
# --proxy-headers: the client's address (logs, the sign-in lockout) is the first of
# X-Forwarded-For, which nginx sets to the address it was reached from
# (deploy/nginx.conf): reach daphne only through the proxy.
# -v 0: no daphne access log (its lines carry each address with its query string,
# which can hold what people searched for); Kith writes its own as JSON lines with
# the request id and the path alone (KITH_ACCESS_LOG).
CMD ["daphne", "--proxy-headers", "-v", "0", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
