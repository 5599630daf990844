"""Every malformed order of the corpus ends in quarantine with exactly its
reasons, while a clean order in the same batch passes.

Each fixture is validated twice: alone with the clean order (in a
transaction rolled back afterwards, so fixtures never meet), and all
together in one batch, as a real run would see them.
"""

from __future__ import annotations

import duckdb
import pytest

from koppel.validation import ValidationResult, validate_orders
from tests.validation.corpus import (
    Fixture,
    bad_fixtures,
    frozen_now,
    good_fixtures,
    load_fixture,
    stage_fixture,
    staged_db,
)

BAD = bad_fixtures()
GOOD = good_fixtures()
CLEAN = load_fixture("clean")


def _reasons(result: ValidationResult) -> dict[int, set[str]]:
    return {
        oid: {str(r) for r in reasons} for oid, reasons in result.quarantined.items()
    }


def _expected(fixture: Fixture) -> dict[int, set[str]]:
    return {oid: {str(r) for r in reasons} for oid, reasons in fixture.expect.items()}


def test_corpus_has_at_least_thirty_kinds_of_malformed_order():
    assert len(BAD) >= 30
    assert len({f.kind for f in BAD}) == len(BAD)
    assert all(f.expect for f in BAD)


def test_corpus_fixtures_use_their_own_order_ids():
    per_fixture = [{*f.order_ids, *f.expect} for f in [CLEAN, *BAD, *GOOD]]
    ids = [oid for ids in per_fixture for oid in ids]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("fixture", BAD, ids=lambda f: f.name)
def test_malformed_order_beside_clean_one_is_quarantined_with_its_reasons(
    fixture: Fixture, con: duckdb.DuckDBPyConnection, profile
):
    stage_fixture(con, fixture)
    result = validate_orders(con, profile=profile, run_id="r1", now=frozen_now())

    assert _reasons(result) == _expected(fixture)
    assert result.passed_order_ids == CLEAN.order_ids


@pytest.fixture(scope="module")
def batch(profile) -> ValidationResult:
    with staged_db(CLEAN, *BAD, *GOOD) as con:
        return validate_orders(con, profile=profile, run_id="r1", now=frozen_now())


@pytest.mark.parametrize("fixture", BAD, ids=lambda f: f.name)
def test_malformed_order_in_full_batch_is_quarantined_with_its_reasons(
    fixture: Fixture, batch: ValidationResult
):
    got = {oid: r for oid, r in _reasons(batch).items() if oid in fixture.expect}

    assert got == _expected(fixture)
    assert not set(fixture.order_ids) & set(batch.passed_order_ids)


@pytest.mark.parametrize("fixture", [CLEAN, *GOOD], ids=lambda f: f.name)
def test_unusual_but_valid_order_in_full_batch_passes(
    fixture: Fixture, batch: ValidationResult
):
    assert set(fixture.order_ids) <= set(batch.passed_order_ids)
    assert not set(fixture.order_ids) & set(batch.quarantined)


def test_full_batch_quarantines_only_the_malformed_orders(batch: ValidationResult):
    expected = {oid for f in BAD for oid in f.expect}

    assert set(batch.quarantined) == expected
    assert batch.figures and sum(batch.figures.values()) >= len(expected)
