from __future__ import annotations

import pytest

from koppel.cli import build_parser
from koppel.sandbox.flags import sandbox_options


def _parse(*argv: str):
    return build_parser().parse_args(["sandbox", *argv])


def test_sandbox_flags_reach_both_sandboxes_options():
    args = _parse(
        "--prestashop-version",
        "9",
        "--multishop",
        "--shop-timezone",
        "Europe/Brussels",
        "--fault-ids",
        "orders:5,7;customers:3",
        "--rate-limit",
        "100",
        "--rate-limit-status",
        "403",
        "--tier",
        "development",
        "--drop-rate",
        "0.05",
        "--drop-mode",
        "timeout",
        "--fault-seed",
        "11",
        "--token-ttl",
        "60",
    )
    options = sandbox_options(args)
    ps = options["prestashop_options"]
    sn = options["snelstart_options"]
    assert (ps.version, ps.multishop, ps.timezone) == ("9", True, "Europe/Brussels")
    assert ps.fault_ids == {"orders": [5, 7], "customers": [3]}
    assert (ps.rate_limit, ps.rate_limit_status) == (100, 403)
    assert options["shop_kwargs"]["shops"] == 2
    assert (sn.tier, sn.token_ttl) == ("development", 60)
    assert (sn.faults.drop_rate, sn.faults.drop_mode, sn.faults.seed) == (
        0.05,
        "timeout",
        11,
    )


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--fault-ids", "orders"), ("--fault-ids", "orders:x"), ("--now", "2026-12-01")],
    ids=["no-ids", "non-numeric-id", "naive-now"],
)
def test_sandbox_flags_refuse_bad_values(flag, value, capsys):
    with pytest.raises(SystemExit):
        _parse(flag, value)
    assert "error" in capsys.readouterr().err
