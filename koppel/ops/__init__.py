"""Operations without Prefect: schedules, backfill chunks, run records, status
and doctor.

The Prefect side (deployments, artifacts, events, concurrency limits) lives in
``deployments/`` and ``tasks/ops.py`` and calls into these modules.
"""
