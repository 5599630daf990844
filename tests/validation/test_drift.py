"""Schema drift: fields appearing in or vanishing from the shop's payloads."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from koppel.validation import detect_drift, read_drift, validate_orders
from koppel.validation.drift import key_paths
from tests.validation.corpus import frozen_now


def _fetch(con: duckdb.DuckDBPyConnection, run_id: str, *records: Any) -> None:
    for n, (resource, payload) in enumerate(records):
        con.execute(
            "INSERT INTO raw_records VALUES (?, ?, ?, NULL, now(), ?, ?)",
            [resource, n + 1, f"{run_id}-{n}", run_id, json.dumps(payload)],
        )


ORDER = {"id": 1, "reference": "X", "associations": {"order_rows": [{"id": "7"}]}}


def test_key_paths_walk_nested_objects_and_lists():
    payload = {"a": 1, "b": {"c": [{"d": 1}, {"e": 2}]}, "f": [1, 2]}

    assert sorted(set(key_paths(payload))) == [
        "a",
        "b",
        "b.c",
        "b.c[].d",
        "b.c[].e",
        "f",
    ]


def test_first_run_of_a_resource_is_the_baseline(con):
    _fetch(con, "r1", ("orders", ORDER))

    assert detect_drift(con, run_id="r1") == []


def test_new_and_missing_fields_are_recorded_per_resource(con):
    _fetch(con, "r1", ("orders", ORDER), ("customers", {"id": 1, "email": "a"}))
    detect_drift(con, run_id="r1")
    changed = dict(ORDER, note="new in 8.x")
    changed["associations"] = {"order_rows": [{"id": "7", "product_isbn": ""}]}
    del changed["reference"]
    _fetch(con, "r2", ("orders", changed), ("customers", {"id": 2, "email": "b"}))

    events = detect_drift(con, run_id="r2")

    assert [(e.resource, e.path, e.change) for e in events] == [
        ("orders", "associations.order_rows[].product_isbn", "appeared"),
        ("orders", "note", "appeared"),
        ("orders", "reference", "vanished"),
    ]
    assert [d["path"] for d in read_drift(con, "r2")] == [e.path for e in events]


def test_drift_of_a_run_is_recorded_once(con):
    _fetch(con, "r1", ("orders", ORDER))
    detect_drift(con, run_id="r1")
    _fetch(con, "r2", ("orders", dict(ORDER, note="x")))

    first = detect_drift(con, run_id="r2")
    second = detect_drift(con, run_id="r2")

    assert [e.change for e in first] == ["appeared"]
    assert second == []
    assert len(read_drift(con, "r2")) == 1


def test_vanished_field_that_comes_back_appears_again(con):
    _fetch(con, "r1", ("orders", dict(ORDER, note="x")))
    detect_drift(con, run_id="r1")
    _fetch(con, "r2", ("orders", ORDER))
    detect_drift(con, run_id="r2")
    _fetch(con, "r3", ("orders", dict(ORDER, note="y")))

    events = detect_drift(con, run_id="r3")

    assert [(e.path, e.change) for e in events] == [("note", "appeared")]


def test_validation_reports_drift_and_goes_on(con, profile):
    _fetch(con, "r1", ("customers", {"id": 1, "email": "a"}))
    detect_drift(con, run_id="r1")
    _fetch(con, "r2", ("customers", {"id": 1, "mail": "a"}))

    result = validate_orders(con, profile=profile, run_id="r2", now=frozen_now())

    assert {(e.path, e.change) for e in result.drift} == {
        ("email", "vanished"),
        ("mail", "appeared"),
    }
    assert result.passed_order_ids


def test_drift_that_cannot_be_read_does_not_stop_validation(con, profile, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> list:
        raise ValueError("payload is not JSON")

    monkeypatch.setattr("koppel.validation.stage.detect_drift", broken)

    result = validate_orders(con, profile=profile, run_id="r1", now=frozen_now())

    assert result.drift == []
    assert result.passed_order_ids
