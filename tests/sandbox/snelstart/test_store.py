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

from .conftest import CLIENTKEY, SUBSCRIPTION_KEY, order_body, sandbox_api


def test_state_file_survives_restart(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state) as api:
        order = api.post("/verkooporders", order_body(api)).json()
        api.sandbox.close()
    assert CLIENTKEY not in state.read_text()  # the secret is never written
    with sandbox_api(state_file=state) as api:
        again = api.get(f"/verkooporders/{order['id']}")
        assert again.status_code == 200
        assert again.json()["totaalInclusiefBtw"] == order["totaalInclusiefBtw"]
        second = api.post("/verkooporders", order_body(api)).json()
        assert second["nummer"] == order["nummer"] + 1


def test_state_file_writes_are_batched_until_close(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state, save_delay=60) as api:
        order = api.post("/verkooporders", order_body(api)).json()
        assert order["id"] not in state.read_text()
        api.sandbox.close()
        assert order["id"] in state.read_text()


def test_state_file_written_at_once_without_delay(tmp_path):
    state = tmp_path / "snelstart.json"
    with sandbox_api(state_file=state, save_delay=0) as api:
        order = api.post("/verkooporders", order_body(api)).json()
        assert order["id"] in state.read_text()


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
