#!/bin/sh
# Wait for PostgreSQL and Redis, then apply one service's migrations: prestart APP
set -eu
python /app/infra/docker/wait_for.py
exec flask --app "$1" db upgrade
