# One image per Conveyor package, built from the repository root:
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=user_service .
# SERVICE is a directory under services/ (user_service, job_api, worker, email_notifier).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_SYSTEM_PYTHON=1 \
    VAR_DIR=/data
RUN pip install --no-cache-dir "uv>=0.9,<1" \
    && useradd --system --uid 10001 --home-dir /app conveyor \
    && mkdir -p /data && chown conveyor /data
WORKDIR /app

ARG SERVICE
# Packages a service's image needs beyond its own (the worker's: supervisor, for a pool).
ARG EXTRA_PACKAGES=""
# Dependencies first: this layer is rebuilt only when a pyproject.toml changes.
COPY infra/scripts/local_deps.py infra/scripts/
COPY shared/core/pyproject.toml shared/core/
COPY shared/web/pyproject.toml shared/web/
COPY shared/testing/pyproject.toml shared/testing/
COPY services/${SERVICE}/pyproject.toml services/${SERVICE}/
RUN python infra/scripts/local_deps.py --third-party services/${SERVICE} > /tmp/requirements.txt \
    && uv pip install --no-cache -r /tmp/requirements.txt \
        "gunicorn~=27.0" "psycopg[binary]~=3.2" ${EXTRA_PACKAGES}

# Then the source, installed without touching the dependencies again.
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
COPY infra/docker/wait_for.py infra/docker/prestart.sh infra/docker/
# The local-run scripts the worker pool reuses (worker_pool.py, autoscaler.py, supervisor_conf.py).
COPY infra/scripts/ infra/scripts/
# Only the shared packages the service declares: the worker's image has no Flask.
RUN uv pip install --no-cache --no-deps \
        $(python infra/scripts/local_deps.py --paths services/${SERVICE})

USER conveyor
ENV PORT=8000
EXPOSE 8000
