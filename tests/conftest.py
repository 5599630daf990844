"""Shared test setup: offline Prefect, loopback sandboxes, demo secrets."""

from __future__ import annotations

import os

# Before anything imports Prefect: no telemetry, koppel logs in run logs.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "koppel")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# koppel loggers log outside flow runs too (plain functions, the CLI)
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
