"""Persistence of sandbox administrations, reset and running on loopback."""

from __future__ import annotations

import json

import httpx
import pytest

from koppel.exceptions import ConfigError
from koppel.sandbox.server import start_server
from koppel.sandbox.snelstart import (
    SandboxOptions,
    SnelstartSandbox,
    create_app,
)
from koppel.sandbox.snelstart.seed import seeded_id
from koppel.sandbox.snelstart.store import StateFile

from .conftest import CLIENTKEY, SUBSCRIPTION_KEY, order_body, sandbox_api


def test_state_file_survives_restart(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state) as api:
        order = api.post("/verkooporders", order_body(api)).json()
        api.sandbox.close()
    assert not (tmp_path / "snelstart.json.journal").exists()
    assert CLIENTKEY not in state.read_text()  # the secret is never written
    with sandbox_api(state_file=state) as api:
        again = api.get(f"/verkooporders/{order['id']}")
        assert again.status_code == 200
        assert again.json()["totaalInclusiefBtw"] == order["totaalInclusiefBtw"]
        second = api.post("/verkooporders", order_body(api)).json()
        assert second["nummer"] == order["nummer"] + 1


def test_state_file_keeps_acknowledged_writes_without_close(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state) as api:
        order = api.post("/verkooporders", order_body(api)).json()
        # no close(): as if the sandbox were killed right after answering
    assert order["id"] in (tmp_path / "snelstart.json.journal").read_text()
    restarted = SnelstartSandbox(SandboxOptions(state_file=state))
    assert restarted.administration().get("verkooporders", order["id"]) is not None
    assert restarted.administration().peek_number("verkooporder") == 2


def test_state_journal_ignores_torn_last_line(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state) as api:
        order = api.post("/verkooporders", order_body(api)).json()
    with (tmp_path / "snelstart.json.journal").open("a") as journal:
        journal.write('{"admin": "x", "op": "pu')
    restarted = SnelstartSandbox(SandboxOptions(state_file=state))
    assert restarted.administration().get("verkooporders", order["id"]) is not None


def test_state_journal_compacts_into_snapshot(tmp_path):
    sandbox = SnelstartSandbox(SandboxOptions(state_file=tmp_path / "s.json"))
    store = StateFile(tmp_path / "s.json", compact_every=3)
    admin = sandbox.administration()
    for number in range(2):
        admin.put(
            "kostenplaatsen", {"id": f"00000000-0000-4000-8000-00000000000{number}"}
        )
        store.append(sandbox.administrations)
    assert not store.journal.exists()  # 4 lines reached the limit: compacted
    assert "00000000-0000-4000-8000-000000000001" in store.path.read_text()
    assert (
        store.load()[next(iter(sandbox.administrations))].count("kostenplaatsen") == 3
    )


def test_state_file_unreadable_raises_config_error(tmp_path):
    state = tmp_path / "snelstart.json"
    state.write_text(json.dumps({"version": 99}))
    with pytest.raises(ConfigError):
        SnelstartSandbox(SandboxOptions(state_file=state))


def test_reset_reseeds_with_the_same_ids():
    sandbox = SnelstartSandbox()
    admin = sandbox.administration()
    relatie_id = seeded_id(admin, "relatie", "sanne.devries@example.nl")
    assert admin.get("relaties", relatie_id)["naam"] == "Sanne de Vries"
    admin.put("relaties", {**admin.get("relaties", relatie_id), "naam": "Anders"})
    sandbox.reset()
    assert (
        sandbox.administration().get("relaties", relatie_id)["naam"] == "Sanne de Vries"
    )


def test_unseeded_administration_is_empty():
    sandbox = SnelstartSandbox(SandboxOptions(seed_data=False))
    assert sandbox.administration().count("landen") == 0


def test_list_returns_copies():
    admin = SnelstartSandbox().administration()
    rows = admin.list("landen")
    rows[0]["naam"] = "Atlantis"
    assert admin.list("landen")[0]["naam"] != "Atlantis"


def test_options_refuse_bad_tier():
    with pytest.raises(ConfigError):
        SnelstartSandbox(SandboxOptions(tier="gratis"))  # type: ignore[arg-type]


def test_served_on_loopback_create_then_drop_times_out_client():
    sandbox = SnelstartSandbox()
    with start_server(create_app(sandbox)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url, timeout=5.0) as client:
            token = client.post(
                "/b2b/token", data={"grant_type": "clientkey", "clientkey": CLIENTKEY}
            ).json()["access_token"]
            headers = {
                "Authorization": f"Bearer {token}",
                "Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY,
            }
            admin = sandbox.administration()
            relatie = seeded_id(admin, "relatie", "sanne.devries@example.nl")
            body = {"relatie": {"id": relatie}, "datum": "2024-05-01T00:00:00"}
            sandbox.set_faults(drop_next=1, drop_mode="timeout", drop_seconds=0.5)
            with pytest.raises(httpx.TimeoutException):
                client.post(
                    "/v2/verkooporders", json=body, headers=headers, timeout=0.2
                )
            assert admin.count("verkooporders") == 1


def test_clientkeys_as_list_never_become_names():
    sandbox = SnelstartSandbox(
        SandboxOptions(clientkeys=("geheim-1", CLIENTKEY), subscription_keys=("s",))
    )
    names = [a.name for a in sandbox.administrations.values()]
    assert names == ["Administratie 1", "Demo administratie"]
    info = sandbox.administration("geheim-1").company_info
    assert "geheim" not in str(info)
