"""Conveyor's Flask kit: what every HTTP service shares (app factory, flask-smorest Api,
problem documents, request ids, JWT verification, health, metrics, Alembic env)."""
