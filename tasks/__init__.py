"""Thin Prefect tasks over koppel's pipeline stages (one task per stage)."""
