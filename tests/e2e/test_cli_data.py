"""`koppel order`, `replay` and `quarantine` on a profile booked by the stages."""

from __future__ import annotations

import json

import pytest

from koppel import pipeline
from koppel.cli import main

pytestmark = pytest.mark.slow


def _book(world) -> dict:
    """One run of the four stages without Prefect."""
    ctx = pipeline.open_context(str(world.profile), pipeline.new_run_id())
    return pipeline.run_once(ctx)


def test_order_command_shows_shop_payload_then_snelstart_answer(world, capsys):
    summary = _book(world)
    order_id = summary["loaded_order_ids"][0]
    capsys.readouterr()

    assert main(["order", str(world.profile), str(order_id)]) == 0
    history = json.loads(capsys.readouterr().out)
    stages = [event["stage"] for event in history]
    assert stages[0] == "shop"
    assert "intent" in stages
    assert any(e.get("snelstart_id") for e in history if e["stage"] != "shop")


def test_replay_of_a_booked_order_books_nothing_twice(world, capsys):
    summary = _book(world)
    order_id = summary["loaded_order_ids"][0]
    before = world.administration.count("verkooporders")
    capsys.readouterr()

    assert main(["replay", str(world.profile), str(order_id)]) == 0
    replay = json.loads(capsys.readouterr().out)
    assert replay["order_id"] == order_id
    assert replay["loaded"] == 0
    assert world.administration.count("verkooporders") == before


def test_quarantine_ignore_keeps_an_order_out_and_retry_reopens_it(world, capsys):
    summary = _book(world)
    assert summary["quarantined_order_ids"], "the demo shop always has bad orders"
    order_id = summary["quarantined_order_ids"][0]
    profile = str(world.profile)

    assert (
        main(["quarantine", profile, "ignore", str(order_id), "--reason", "test order"])
        == 0
    )
    assert main(["quarantine", profile, "list", "--status", "ignored", "--json"]) == 0
    out = capsys.readouterr().out
    ignored = json.loads(out[out.index("[") :])
    assert [e["order_id"] for e in ignored] == [order_id]

    assert main(["quarantine", profile, "retry", str(order_id)]) == 0
    assert main(["quarantine", profile, "list", "--json"]) == 0
    out = capsys.readouterr().out
    reopened = json.loads(out[out.rindex("\n[") :] if "\n[" in out else out)
    assert order_id in [e["order_id"] for e in reopened]


def test_quarantine_show_of_an_unknown_order_is_a_clear_error(world, capsys):
    _book(world)
    assert main(["quarantine", str(world.profile), "show", "999999"]) == 2
    assert "999999" in capsys.readouterr().err


def test_dry_run_counts_what_it_would_book_and_writes_nothing(world):
    ctx = pipeline.open_context(str(world.profile), pipeline.new_run_id())
    summary = pipeline.run_once(ctx, dry_run=True)

    assert summary["loaded"] == 0
    assert summary["would_book"] > 0
    assert world.administration.count("verkooporders") == 0
    assert (
        summary["would_book"]
        + summary["quarantined"]
        + summary["skipped"]
        + summary["failed"]
        == summary["extracted"] + summary["backlog"]
    )
