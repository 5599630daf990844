"""Plan placeholders and payload diffs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from koppel.snelstart.refs import (
    UnresolvedReference,
    collect_refs,
    diff_payloads,
    resolve_refs,
)

PAYLOAD = {
    "relatie": {"$relatie": "klant-1"},
    "factuurrelatie": {"$relatie": "moeder"},
    "regels": [
        {"artikel": {"$artikel": "MWS"}, "stuksprijs": Decimal("89.95")},
        {"artikel": {"$artikel": "VERZEND-H"}, "stuksprijs": Decimal("6.95")},
    ],
}


def test_collect_refs_finds_every_placeholder():
    assert collect_refs(PAYLOAD) == ({"klant-1", "moeder"}, {"MWS", "VERZEND-H"})


def test_resolve_refs_replaces_placeholders_and_keeps_decimals():
    resolved = resolve_refs(
        PAYLOAD,
        {"klant-1": "r1", "moeder": "r2"},
        {"MWS": "a1", "VERZEND-H": "a2"},
    )
    assert resolved["relatie"] == {"id": "r1"}
    assert resolved["regels"][1]["artikel"] == {"id": "a2"}
    assert resolved["regels"][0]["stuksprijs"] == Decimal("89.95")
    assert PAYLOAD["relatie"] == {"$relatie": "klant-1"}  # input untouched


def test_resolve_refs_missing_id_names_kind_and_key():
    with pytest.raises(UnresolvedReference) as info:
        resolve_refs(PAYLOAD, {"klant-1": "r1", "moeder": "r2"}, {"MWS": "a1"})
    assert (info.value.kind, info.value.key) == ("artikel", "VERZEND-H")


def test_diff_payloads_same_amount_from_json_is_no_change():
    stored = json.loads('{"stuksprijs": 89.950, "aantal": 2}', parse_float=Decimal)
    assert diff_payloads(stored, {"stuksprijs": Decimal("89.95"), "aantal": 2}) == []


def test_diff_payloads_lists_changed_added_and_removed_paths():
    old = {"omschrijving": "a", "regels": [{"aantal": 1}], "memo": "x"}
    new = {"omschrijving": "b", "regels": [{"aantal": 1}, {"aantal": 2}]}
    paths = [d["path"] for d in diff_payloads(old, new)]
    assert paths == ["memo", "omschrijving", "regels[1]"]
