"""Fixtures for the job engine's tests: the jobs table on each backend (``engine``,
``sessions``); Redis and the rest come from the test kit's plugin."""

pytest_plugins = ["conveyor_testing.job_records"]
