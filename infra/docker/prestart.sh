#!/bin/sh
# Wait for PostgreSQL and Redis, then apply one package's migrations: prestart PACKAGE
# (conveyor_core.migrate: Flask-Migrate for a service with an app, Alembic otherwise)
set -eu
python /app/infra/docker/wait_for.py
exec python -m conveyor_core.migrate "$1"
