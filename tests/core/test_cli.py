from __future__ import annotations

import logging
import sys
from pathlib import Path

from koppel.cli import _KoppelErrorsWithoutTraceback, main
from koppel.exceptions import ApiAuthError

ROOT = Path(__file__).parents[2]


def test_run_with_missing_secret_fails_before_prefect_starts(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("KOPPEL_DEMO_PRESTASHOP_KEY", raising=False)
    before = set(sys.modules)

    assert main(["run", "demo"]) == 2

    err = capsys.readouterr().err
    assert "KOPPEL_DEMO_PRESTASHOP_KEY" in err
    assert not any(m.startswith("prefect") for m in set(sys.modules) - before)


def test_run_of_unknown_profile_lists_the_known_ones(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["run", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "no profile `nosuch`" in err
    assert "demo" in err


def test_order_of_an_unknown_id_is_an_error(tmp_path, monkeypatch, capsys):
    profile = tmp_path / "p.toml"
    text = (ROOT / "profiles" / "demo.toml").read_text()
    profile.write_text(text.replace('data_dir = "data"', f'data_dir = "{tmp_path}"'))

    assert main(["order", str(profile), "424242"]) == 2
    assert "order 424242 is not staged" in capsys.readouterr().err


def _record_with(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception:
        return logging.LogRecord(
            "prefect.flow_runs",
            logging.ERROR,
            __file__,
            1,
            "failed",
            None,
            sys.exc_info(),
        )


def test_console_drops_tracebacks_of_koppel_errors_only():
    keep = _KoppelErrorsWithoutTraceback()
    ours = _record_with(ApiAuthError("check the key", api="prestashop"))
    foreign = _record_with(ValueError("bug"))

    assert keep.filter(ours) and keep.filter(foreign)
    assert ours.exc_info is None
    assert foreign.exc_info is not None
