"""Gateway throttling and fault switches of the SnelStart sandbox."""

from __future__ import annotations

import asyncio

import pytest

from koppel.exceptions import ConfigError
from koppel.sandbox.snelstart import FaultOptions
from koppel.sandbox.snelstart.throttle import Limits, Throttle

from .conftest import Api, order_body, sandbox_api


def test_throttle_minute_limit_answers_429_with_retry_after(clock):
    with sandbox_api(clock=clock, calls_per_minute=3) as api:
        assert [api.get("/landen").status_code for _ in range(3)] == [200] * 3
        clock.advance(20)
        refused = api.get("/landen")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "40"
        assert refused.json()["statusCode"] == 429
        clock.advance(40)
        assert api.get("/landen").status_code == 200


def test_throttle_development_tier_allows_100_per_minute(clock):
    with sandbox_api(clock=clock, tier="development") as api:
        statuses = [api.get("/landen").status_code for _ in range(101)]
        assert statuses.count(200) == 100
        assert statuses[-1] == 429


def test_throttle_hour_limit_with_short_windows(clock):
    options = {"calls_per_minute": 100, "calls_per_hour": 5, "hour_seconds": 120}
    with sandbox_api(clock=clock, **options) as api:
        for _ in range(5):
            assert api.get("/landen").status_code == 200
            clock.advance(10)
        refused = api.get("/landen")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == 70
        clock.advance(70)
        assert api.get("/landen").status_code == 200


def test_throttle_counts_per_administration(clock):
    keys = {"key-a": "A", "key-b": "B"}
    with sandbox_api(clock=clock, clientkeys=keys, calls_per_minute=1) as api:
        assert api.get("/landen").status_code == 200
        assert api.get("/landen").status_code == 429
        api.token = api.login("key-b")
        assert api.get("/landen").status_code == 200


async def _burst(api: Api, n: int) -> list[int]:
    calls = [api.client.client.get("/v2/landen", headers=api.headers) for _ in range(n)]
    return [r.status_code for r in await asyncio.gather(*calls)]


def test_throttle_concurrency_limit_refuses_extra_calls(clock):
    faults = FaultOptions(slow_rate=1.0, slow_seconds=0.2)
    with sandbox_api(clock=clock, concurrency=2, faults=faults) as api:
        statuses = api.client.run(_burst(api, 4))
        assert sorted(statuses) == [200, 200, 429, 429]


def test_throttle_release_frees_concurrency_slot():
    throttle = Throttle(Limits(None, None, 1), clock=lambda: 0.0)
    assert throttle.acquire("a") is None
    assert throttle.acquire("a") == 1
    throttle.release("a")
    assert throttle.acquire("a") is None


def test_throttle_off_allows_everything(clock):
    with sandbox_api(clock=clock, throttling=False, tier="development") as api:
        assert {api.get("/landen").status_code for _ in range(150)} == {200}


def _statuses(api: Api, n: int) -> list[int]:
    return [api.get("/landen").status_code for _ in range(n)]


def test_faults_seeded_rates_repeat_exactly(clock):
    faults = {"seed": 7, "error_rate": 0.3, "throttle_rate": 0.1}
    runs = []
    for _ in range(2):
        with sandbox_api(clock=clock, faults=FaultOptions(**faults)) as api:
            runs.append(_statuses(api, 40))
    assert runs[0] == runs[1]
    assert {200, 429} <= set(runs[0])
    assert set(runs[0]) - {200, 429} <= {500, 502, 503, 504}
    assert set(runs[0]) & {500, 502, 503, 504}


def test_faults_injected_429_carries_retry_after(clock):
    with sandbox_api(clock=clock, faults=FaultOptions(throttle_next=1)) as api:
        response = api.get("/landen")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert api.get("/landen").status_code == 200


def test_faults_fail_next_gives_5xx_then_recovers(api: Api):
    api.sandbox.set_faults(fail_next=2, error_statuses=(503,))
    assert _statuses(api, 3) == [503, 503, 200]


def test_create_then_drop_502_stores_the_order(api: Api):
    api.sandbox.set_faults(drop_next=1)
    response = api.post("/verkooporders", order_body(api))
    assert response.status_code == 502
    assert api.sandbox.administration().count("verkooporders") == 1
    # a naive retry books the order twice
    assert api.post("/verkooporders", order_body(api)).status_code == 201
    assert api.sandbox.administration().count("verkooporders") == 2


def test_create_then_drop_timeout_answers_late(api: Api):
    api.sandbox.set_faults(drop_next=1, drop_mode="timeout", drop_seconds=0.05)
    response = api.post("/verkooporders", order_body(api))
    assert response.status_code == 201  # the answer only comes after the delay
    assert api.sandbox.administration().count("verkooporders") == 1


def test_create_then_drop_skips_refused_posts(api: Api):
    api.sandbox.set_faults(drop_next=1)
    assert api.post("/verkooporders", {"datum": "x"}).status_code == 400
    assert api.post("/verkooporders", order_body(api)).status_code == 502


def test_faults_switch_over_http(api: Api):
    headers = {"Ocp-Apim-Subscription-Key": api.headers["Ocp-Apim-Subscription-Key"]}
    response = api.client.post(
        "/_sandbox/faults", json={"fail_next": 1}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["fail_next"] == 1
    assert api.get("/landen").status_code == 500
    bad = api.client.post("/_sandbox/faults", json={"nope": 1}, headers=headers)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "options",
    [{"error_rate": 1.5}, {"drop_mode": "never"}, {"error_statuses": (404,)}],
    ids=["rate", "mode", "status"],
)
def test_fault_options_refuse_bad_values(options):
    with pytest.raises(ConfigError):
        FaultOptions(**options)


def test_faults_token_fail_next_then_token_works(api: Api):
    api.sandbox.set_faults(token_fail_next=1)
    form = {"grant_type": "clientkey", "clientkey": "demo-koppelsleutel"}
    first = api.client.post("/b2b/token", data=form)
    assert first.status_code == 503
    assert first.json()["statusCode"] == 503
    assert api.client.post("/b2b/token", data=form).status_code == 200
