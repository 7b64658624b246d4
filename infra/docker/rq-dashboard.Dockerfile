# rq-dashboard behind an admin check (infra/scripts/rq_dashboard_app.py), from the repo root.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_SYSTEM_PYTHON=1
RUN pip install --no-cache-dir "uv>=0.9,<1" && useradd --system --uid 10001 conveyor
WORKDIR /app

COPY infra/scripts/local_deps.py infra/scripts/
COPY shared/core/pyproject.toml shared/core/
# rq-dashboard 0.9 imports six without declaring it.
RUN python infra/scripts/local_deps.py --third-party shared/core > /tmp/requirements.txt \
    && uv pip install --no-cache -r /tmp/requirements.txt \
        "rq-dashboard~=0.9.0" "six~=1.17" "rq~=3.0" "gunicorn~=27.0" "pyjwt[crypto]~=2.8"

COPY shared/core/ shared/core/
RUN uv pip install --no-cache --no-deps ./shared/core
COPY infra/scripts/rq_dashboard_app.py infra/scripts/

USER conveyor
EXPOSE 8003
CMD ["gunicorn", "--bind", "0.0.0.0:8003", "--worker-class", "gthread", "--threads", "4", \
     "--no-control-socket", "--pythonpath", "/app/infra/scripts", "rq_dashboard_app:create_app()"]
