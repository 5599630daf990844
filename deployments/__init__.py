"""Prefect deployments of koppel: one set per profile, generated from
``profiles/*.toml`` (see :mod:`deployments.generate`)."""
