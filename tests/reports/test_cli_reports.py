from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from koppel import cli_reports, settings, staging
from koppel.cli import main, write_sandbox_profile
from koppel.exceptions import ConfigError
from koppel.profile import load_profile
from koppel.reports.bridge import SHOP_PLACED
from tests.reports import builders as b

ROOT = Path(__file__).parents[2]
PERIOD = ["--since", "2026-11-01", "--until", "2026-11-30"]


@pytest.fixture
def profile_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A profile whose SnelStart is a sandbox on loopback (no shop needed)."""
    from koppel.sandbox.server import start_server
    from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox, create_app

    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    server = start_server(create_app(SnelstartSandbox(SandboxOptions())))
    try:
        yield write_sandbox_profile(tmp_path / "data", "http://127.0.0.1:9", server.url)
    finally:
        server.stop()


def _stage(path: Path, *, booked: bool = False) -> None:
    import koppel.ledger  # noqa: F401 - registers its tables

    pytest.importorskip("koppel.quarantine")
    with staging.connect(load_profile(path).database_path) as con:
        b.add_order(con, 1)
        b.add_order(con, 2, eligible=False)
        if booked:
            b.book(con, 1, nummer=99, lines=b.regels("121.00"))


def test_report_command_writes_html_and_json(profile_path, tmp_path, capsys):
    _stage(profile_path)
    page = tmp_path / "out" / "report.html"

    code = main(["report", str(profile_path), *PERIOD, "--html", str(page), "--json"])

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["reconciliation"]["unexplained_orders"] == 0
    placed = next(
        line for line in data["reconciliation"]["bridge"] if line["line"] == SHOP_PLACED
    )
    assert placed["orders"] == 2
    assert data["html"] == str(page)
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_command_exits_1_on_an_unexplained_difference(profile_path, capsys):
    _stage(profile_path, booked=True)

    code = main(["report", str(profile_path), *PERIOD])

    out = capsys.readouterr().out
    assert code == 1
    assert "missing_in_snelstart" in out


def test_report_command_without_database_says_what_to_run(profile_path, capsys):
    code = main(["report", str(profile_path), *PERIOD])

    assert code == 2
    assert "koppel run" in capsys.readouterr().err


def test_report_period_defaults_to_the_last_30_days():
    first, last = cli_reports.report_period(b.profile(), None, date(2026, 11, 30))

    assert (first, last) == (date(2026, 11, 1), date(2026, 11, 30))


def test_report_period_backwards_is_a_config_error():
    with pytest.raises(ConfigError):
        cli_reports.report_period(b.profile(), date(2026, 11, 30), date(2026, 11, 1))
