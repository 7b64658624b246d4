"""Baselines served with the same gunicorn settings as job-api."""
