"""execute_plan against the SnelStart sandbox: the ledger's behaviours."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from koppel import staging
from koppel.exceptions import ApiAuthError
from koppel.ledger import Ledger, LedgerRow, booked_orders, order_history
from koppel.loading import LoadOptions, execute_plan
from koppel.reasons import Reason
from koppel.sandbox.server import start_server
from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox, create_app
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.throttle import Throttle
from tests.loading.conftest import CLIENTKEY, SUBSCRIPTION_KEY
from tests.loading.plans import (
    booked_references,
    booking,
    build_plan,
    new_relatie,
    seeded,
)

FAST = LoadOptions(workers=4, chunk_size=10, settle_seconds=0.0)


def _load(env, plan, *, profile=None, run_id="run-1", client=None, **kwargs):
    profile = profile or env.profile
    client = client or env.client(profile)
    with env.connect(profile) as con:
        return execute_plan(
            client,
            con,
            plan,
            profile=profile,
            run_id=run_id,
            options=kwargs.pop("options", FAST),
            **kwargs,
        )


def _stage(env, rows: list[tuple[int, bool, str]], profile=None) -> None:
    now = datetime.now(UTC)
    with env.connect(profile) as con:
        for order_id, eligible, phash in rows:
            con.execute(
                "INSERT OR REPLACE INTO stg_orders (order_id, eligible, payload_hash,"
                " run_id, fetched_at) VALUES (?, ?, ?, 'stage', ?)",
                [order_id, eligible, phash, now],
            )


def _writes(env) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in env.sandbox.requests
        if r.method in ("POST", "PUT", "DELETE") and "/v2/" in r.path
    ]


@pytest.fixture
def seed(env):
    return seeded(env.client())


def test_execute_plan_books_each_order_once_and_rerun_skips(env, seed):
    plan = build_plan(seed, range(1, 13), new_customer_every=4, new_article_every=5)
    first = _load(env, plan)
    assert sorted(first.loaded) == list(range(1, 13))
    assert first.relaties_created == 3 and first.artikelen_created == 2
    assert first.failed == {}
    second = _load(env, plan, run_id="run-2")
    assert second.loaded == [] and sorted(second.skipped) == list(range(1, 13))
    assert sum(second.calls.values()) == 0
    refs = booked_references(env.admin)
    assert sorted(refs) == sorted(f"PS-{i}" for i in range(1, 13))
    assert env.admin.count("relaties") == len(
        env.sandbox.administration().list("relaties")
    )


def test_execute_plan_records_snelstart_id_and_nummer_in_ledger(env, seed):
    _load(env, build_plan(seed, [7]))
    with env.connect() as con:
        row = con.execute(
            "SELECT status, snelstart_id, nummer, orderreferentie, betalingskenmerk "
            "FROM ledger_orders WHERE order_id = 7"
        ).fetchone()
    stored = env.admin.list("verkooporders")[0]
    assert row == ("booked", stored["id"], stored["nummer"], "PS-7", "PS000000007")


def test_order_history_runs_from_shop_payload_to_snelstart_answer(env, seed):
    with env.connect() as con:
        con.execute(
            "INSERT INTO raw_records VALUES ('orders', 7, 'h1', NULL, now(), 'x', "
            '\'{"id": 7, "reference": "REF7"}\')'
        )
    _load(env, build_plan(seed, [7]))
    with env.connect() as con:
        history = order_history(con, 7)
    stages = [h["stage"] for h in history]
    assert stages == ["shop", "intent", "response"]
    assert history[0]["payload"]["reference"] == "REF7"
    assert history[1]["detail"]["relatie"] == {"id": seed.relatie_id}
    assert history[2]["http_status"] == 201
    assert history[2]["snelstart_id"] == env.admin.list("verkooporders")[0]["id"]


def test_execute_plan_dry_run_writes_nothing_and_previews(env, seed):
    plan = build_plan(seed, range(1, 6), new_customer_every=2)
    result = _load(env, plan, dry_run=True)
    assert _writes(env) == []
    assert result.loaded == [] and result.preview is not None
    preview = result.preview
    assert {r["key"] for r in preview["relaties"]} == {"new-1", "new-2"}
    assert [o["action"] for o in preview["orders"]] == ["book"] * 5
    expected = sum(b.total_incl for b in plan.orders)
    assert preview["totals"]["total_incl"] == format(expected, "f")
    with env.connect() as con:
        assert con.execute("SELECT count(*) FROM ledger_orders").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM audit_trail").fetchone() == (0,)


def test_execute_plan_dry_run_after_booking_previews_skips(env, seed):
    plan = build_plan(seed, range(1, 4))
    _load(env, plan)
    preview = _load(env, plan, dry_run=True).preview
    assert [o["action"] for o in preview["orders"]] == ["skip"] * 3
    assert preview["totals"]["book"] == 0


def test_execute_plan_betalingskenmerk_booked_elsewhere_is_not_posted(env, seed):
    outside = booking(5, prefix="PS")
    body = {
        **outside.payload,
        "orderreferentie": "handmatig",
        "relatie": {"id": seed.relatie_id},
        "regels": [],
    }
    env.client().post("verkooporders", body)
    result = _load(env, build_plan(seed, [5, 6]))
    assert result.external == [5] and 5 in result.skipped
    assert result.loaded == [6]
    assert env.admin.count("verkooporders") == 2
    with env.connect() as con:
        assert booked_orders(con).keys() == {5, 6}


def test_execute_plan_duplicate_check_off_posts_anyway(env, seed):
    profile = env.make_profile(env.url, loading={"duplicate_check": False})
    env.client().post(
        "verkooporders",
        {
            "relatie": {"id": seed.relatie_id},
            "datum": "2024-05-01T00:00:00",
            "betalingskenmerk": "PS000000005",
        },
    )
    result = _load(env, build_plan(seed, [5]), profile=profile)
    assert result.loaded == [5]
    assert "GET verkooporders" not in result.calls


def test_execute_plan_lost_ledger_finds_own_orders_by_reference(env, seed):
    plan = build_plan(seed, range(1, 5))
    _load(env, plan)
    fresh = str(env.profile.database_path.parent / "fresh")
    other = env.profile.model_copy(update={"data_dir": fresh})  # empty ledger
    result = _load(env, plan, profile=other)
    assert sorted(result.recovered) == [1, 2, 3, 4]
    assert result.loaded == []
    assert len(booked_references(env.admin)) == 4


def _pending(env, item, attempts: int = 1) -> None:
    with env.connect() as con:
        ledger = Ledger(con, "crashed-run")
        ledger.put(
            LedgerRow(
                order_id=item.order_id,
                status="pending",
                payload_hash=item.payload_hash,
                orderreferentie=item.orderreferentie,
                betalingskenmerk=item.betalingskenmerk,
                attempts=attempts,
                intent_at=datetime.now(UTC),
            )
        )
        ledger.flush()


def test_execute_plan_pending_order_that_landed_is_not_posted_again(env, seed):
    plan = build_plan(seed, [3])
    item = plan.orders[0]
    _pending(env, item)
    body = {**item.payload, "relatie": {"id": seed.relatie_id}, "regels": []}
    env.client().post("verkooporders", body)  # the crashed run's POST landed
    result = _load(env, plan)
    assert result.recovered == [3] and result.loaded == []
    assert booked_references(env.admin) == ["PS-3"]
    assert "POST verkooporders" not in result.calls


def test_execute_plan_pending_order_that_never_landed_is_posted(env, seed):
    plan = build_plan(seed, [3])
    _pending(env, plan.orders[0])
    result = _load(env, plan)
    assert result.loaded == [3]
    assert booked_references(env.admin) == ["PS-3"]
    with env.connect() as con:
        attempts = con.execute(
            "SELECT attempts FROM ledger_orders WHERE order_id = 3"
        ).fetchone()
    assert attempts == (2,)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"afleveradres": {"straat": "x" * 60}}, "VOR-0006"),
        ({"orderreferentie": "PS-" + "9" * 60}, "VOR-0011"),
    ],
    ids=["street-too-long", "reference-too-long"],
)
def test_execute_plan_rejected_order_fails_with_codes_others_book(
    env, seed, change, code
):
    plan = build_plan(seed, [1, 2, 3])
    plan.orders[1] = booking(2, **change)
    result = _load(env, plan)
    assert sorted(result.loaded) == [1, 3]
    reason, codes, _ = result.failed[2]
    assert reason is Reason.SNELSTART_REJECTED
    assert code in codes  # SnelStart's own codes travel to quarantine
    with env.connect() as con:
        assert con.execute(
            "SELECT status FROM ledger_orders WHERE order_id = 2"
        ).fetchone() == ("rejected",)


def test_execute_plan_rejected_relatie_fails_its_orders(env, seed):
    plan = build_plan(seed, [1, 2], new_customer_every=2)
    plan.relaties = [
        r
        if r.key != "new-1"
        else new_relatie("new-1", 1).__class__(
            key="new-1", action="create", payload={"relatiesoort": ["Klant"]}
        )
        for r in plan.relaties
    ]
    result = _load(env, plan)
    assert result.loaded == [1]
    reason, codes, _ = result.failed[2]
    assert reason is Reason.SNELSTART_REJECTED
    assert "REL-0007" in codes


def test_execute_plan_relatie_created_once_across_runs(env, seed):
    _load(env, build_plan(seed, [4], new_customer_every=4))
    before = env.admin.count("relaties")
    # order 104 belongs to the same new customer `new-1` as order 4
    result = _load(env, build_plan(seed, [104], new_customer_every=4), run_id="run-2")
    assert result.loaded == [104]
    assert result.relaties_created == 0
    assert env.admin.count("relaties") == before


def test_execute_plan_relatie_create_dropped_is_adopted_not_duplicated(env, seed):
    before = env.admin.count("relaties")
    env.faults(drop_next=1)  # the first POST is the relatie
    result = _load(env, build_plan(seed, [4], new_customer_every=4))
    assert result.loaded == [4]
    assert env.admin.count("relaties") == before + 1


def _change(plan, order_id: int, **changes):
    index = next(i for i, b in enumerate(plan.orders) if b.order_id == order_id)
    plan.orders[index] = booking(order_id, **changes)


@pytest.mark.parametrize("policy", ["flag", "ignore"])
def test_execute_plan_changed_after_booking_follows_policy_once(env, seed, policy):
    profile = env.make_profile(env.url, loading={"on_change": policy})
    plan = build_plan(seed, [1, 2])
    _load(env, plan, profile=profile)
    _change(plan, 2, omschrijving="Nieuwe omschrijving")
    changed = _load(env, plan, profile=profile, run_id="run-2")
    again = _load(env, plan, profile=profile, run_id="run-3")
    if policy == "flag":
        assert changed.failed[2][0] is Reason.CHANGED_AFTER_BOOKING
    else:
        assert changed.failed == {} and 2 in changed.skipped
    assert again.failed == {} and 2 in again.skipped
    assert len(booked_references(env.admin)) == 2
    with env.connect(profile) as con:
        events = [h for h in order_history(con, 2) if h["stage"] == "changed"]
    assert len(events) == 1
    assert events[0]["detail"]["diff"][0]["path"] == "omschrijving"


def test_execute_plan_changed_order_updated_while_still_an_order(env, seed):
    profile = env.make_profile(env.url, loading={"on_change": "update"})
    plan = build_plan(seed, [1])
    _load(env, plan, profile=profile)
    _change(plan, 1, omschrijving="Aangepast")
    result = _load(env, plan, profile=profile, run_id="run-2")
    assert result.updated == [1] and result.failed == {}
    stored = env.admin.list("verkooporders")
    assert [o["omschrijving"] for o in stored] == ["Aangepast"]
    assert _load(env, plan, profile=profile, run_id="run-3").skipped == [1]


def test_execute_plan_changed_order_no_longer_an_order_is_flagged(env, seed):
    profile = env.make_profile(env.url, loading={"on_change": "update"})
    plan = build_plan(seed, [1])
    _load(env, plan, profile=profile)
    order_id = env.admin.list("verkooporders")[0]["id"]
    client = env.client()
    client.put(
        f"verkooporders/{order_id}/ProcesStatus",
        {"id": order_id, "procesStatus": "Pakbon"},
    )
    _change(plan, 1, omschrijving="Te laat")
    result = _load(env, plan, profile=profile, run_id="run-2")
    assert result.updated == []
    assert result.failed[1][0] is Reason.CHANGED_AFTER_BOOKING


def test_execute_plan_cancelled_after_booking_is_credit_note_candidate_once(env, seed):
    plan = build_plan(seed, [1, 2])
    _load(env, plan)
    flagged = _load(env, build_plan(seed, []), withdrawn=[2, 99], run_id="run-2")
    assert list(flagged.failed) == [2]
    assert flagged.failed[2][0] is Reason.CREDIT_NOTE_CANDIDATE
    again = _load(env, build_plan(seed, []), withdrawn=[2], run_id="run-3")
    assert again.failed == {}


def test_execute_plan_cancellations_read_from_staging_by_default(env, seed):
    _stage(env, [(1, True, "a"), (2, True, "b")])
    _load(env, build_plan(seed, [1, 2]))
    _stage(env, [(2, False, "c")])  # the shop cancelled order 2
    result = _load(env, build_plan(seed, []), run_id="run-2")
    assert list(result.failed) == [2]
    assert result.failed[2][0] is Reason.CREDIT_NOTE_CANDIDATE


def test_booked_orders_gives_staged_shop_hash_at_booking(env, seed):
    _stage(env, [(1, True, "shop-hash-1")])
    _load(env, build_plan(seed, [1, 2]))
    with env.connect() as con:
        assert booked_orders(con) == {1: "shop-hash-1", 2: ""}


def test_execute_plan_refused_credentials_stop_the_run(env, seed):
    wrong = SnelstartClient(
        env.profile.snelstart,
        clientkey=SecretStr(CLIENTKEY),
        subscription_key=SecretStr("not-the-key"),
    )
    env.clients.append(wrong)
    with pytest.raises(ApiAuthError):
        _load(env, build_plan(seed, [1]), client=wrong)
    assert env.admin.count("verkooporders") == 0


def test_execute_plan_two_runs_at_once_book_each_order_once(env, seed):
    plan = build_plan(seed, range(1, 41), new_customer_every=3)
    results = []
    start = threading.Barrier(2)
    with env.connect():
        pass  # create the schema first: DuckDB refuses concurrent DDL

    def run(name: str) -> None:
        client = env.client()
        start.wait()
        results.append(_load(env, plan, run_id=name, client=client))

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    loaded = sorted(results[0].loaded + results[1].loaded)
    assert loaded == list(range(1, 41))
    refs = booked_references(env.admin)
    assert len(refs) == len(set(refs)) == 40
    names = [r["naam"] for r in env.admin.list("relaties")]
    assert len(names) == len(set(names))


def test_execute_plan_dry_run_flags_go_to_preview_not_quarantine(env, seed):
    plan = build_plan(seed, [1, 2])
    _load(env, plan)
    _change(plan, 2, omschrijving="Anders")
    result = _load(env, plan, dry_run=True, withdrawn=[1], run_id="dry")
    assert result.failed == {}
    assert set(result.preview["flags"]) == {1, 2}
    actions = {o["order_id"]: o["action"] for o in result.preview["orders"]}
    assert actions == {1: "credit_note", 2: "flag"}
    again = _load(env, plan, withdrawn=[1], run_id="real")
    assert {k: v[0] for k, v in again.failed.items()} == {
        1: Reason.CREDIT_NOTE_CANDIDATE,
        2: Reason.CHANGED_AFTER_BOOKING,
    }


def test_execute_plan_reference_used_by_another_order_is_not_claimed(env, seed):
    env.client().post(
        "verkooporders",
        {
            "relatie": {"id": seed.relatie_id},
            "datum": "2024-05-01T00:00:00",
            "orderreferentie": "PS-5",
            "betalingskenmerk": "iets anders",
        },
    )
    result = _load(env, build_plan(seed, [5]))
    assert result.recovered == [] and result.loaded == []
    assert result.external == [5]
    assert booked_references(env.admin) == ["PS-5"]


def test_execute_plan_failed_look_up_after_ambiguous_post_stays_pending(env, seed):
    profile = env.make_profile(
        env.url, max_retries=2, loading={"duplicate_check": False}
    )
    env.faults(fail_next=1 + 3)  # the POST, then every try of the look-up
    first = _load(env, build_plan(seed, [1]), profile=profile)
    assert first.loaded == [] and first.failed[1][0] is None
    with env.connect(profile) as con:
        status = con.execute("SELECT status FROM ledger_orders").fetchone()
    assert status == ("pending",)
    second = _load(env, build_plan(seed, [1]), profile=profile, run_id="run-2")
    assert second.loaded == [1]
    assert booked_references(env.admin) == ["PS-1"]


def test_execute_plan_shared_throttle_keeps_gateway_from_refusing(
    tmp_path, make_profile
):
    from pydantic import SecretStr

    limits = {"calls_per_minute": 10, "calls_per_hour": 10_000, "concurrency": 2}
    window = {"minute_seconds": 0.3, "hour_seconds": 3600.0}
    sandbox = SnelstartSandbox(SandboxOptions(**limits, **window))
    with start_server(create_app(sandbox)) as server:
        profile = make_profile(server.url, **limits)
        throttle = Throttle.for_profile(profile, CLIENTKEY, **window)
        client = SnelstartClient(
            profile.snelstart,
            clientkey=SecretStr(CLIENTKEY),
            subscription_key=SecretStr(SUBSCRIPTION_KEY),
            throttle=throttle,
        )
        with client, staging.connect(profile.database_path) as con:
            plan = build_plan(seeded(client), range(1, 61))
            result = execute_plan(
                client, con, plan, profile=profile, run_id="t", options=FAST
            )
    assert len(result.loaded) == 60
    refused = [r for r in sandbox.requests if r.status == 429]
    assert refused == [] and client.stats.throttled == 0
