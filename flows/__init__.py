"""Prefect flows: one shared pipeline that takes a profile name."""
