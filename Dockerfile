# syntax=docker/dockerfile:1
# One image for the API and the workers: `docker run IMAGE api` or `docker run IMAGE worker`.
# Every start first brings the database to the latest migration (safe with many containers at once).

# The console's front-end files (htmx), pinned by package-lock.json, from the npm registry.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The source tree stays in /app and is installed in editable mode: pledgeflow finds templates/,
# migrations/ and alembic.ini beside its packages (pledgeflow.config.PROJECT_ROOT); a regular
# install would put the packages in site-packages without them.
WORKDIR /app

# Runtime dependencies only, pinned by the lock file, in their own layer: a code change does not
# reinstall them.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c requirements.lock -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=assets /assets/node_modules/htmx.org/dist/htmx.min.js /app/node_modules/htmx.org/dist/htmx.min.js
RUN pip install --no-deps -c requirements.lock -e . \
    && python -m compileall -q activities api models pledgeflow services workflows migrations \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin pledgeflow \
    && mkdir -p /app/data \
    && chown pledgeflow /app/data

USER pledgeflow

# The API listens on PLEDGEFLOW_API_PORT (8000); a worker serves Prometheus metrics on
# PLEDGEFLOW_METRICS_PORT (application) and PLEDGEFLOW_SDK_METRICS_PORT (Temporal SDK).
ENV PLEDGEFLOW_API_HOST=0.0.0.0
EXPOSE 8000

# No HEALTHCHECK here: it differs by role (the API answers /readyz, a worker polls Temporal);
# docker-compose.yml declares one per service.
ENTRYPOINT ["/bin/sh", "-c", "python -m pledgeflow.migrations && exec pledgeflow \"$@\"", "pledgeflow"]
CMD ["api"]
