from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deployments import generate
from deployments.generate import build_specs, render_prefect_yaml
from koppel.exceptions import ConfigError

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _project_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def write_profile(directory: Path, name: str, schedule: str = "") -> Path:
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('name = "demo"', f'name = "{name}"')
    head, _, _ = text.partition("[schedule]")
    path = directory / f"{name}.toml"
    path.write_text(head + "[schedule]\n" + schedule, encoding="utf-8")
    return path


def test_prefect_yaml_matches_generator():
    expected = render_prefect_yaml(build_specs())
    current = generate.PREFECT_YAML.read_text(encoding="utf-8")
    assert current == expected, "run `python -m deployments.generate --write`"


def test_generate_check_mode_detects_stale_file(tmp_path, monkeypatch):
    stale = tmp_path / "prefect.yaml"
    stale.write_text("deployments: []\n", encoding="utf-8")
    monkeypatch.setattr(generate, "PREFECT_YAML", stale)
    assert generate.main(["--check"]) == 1
    assert generate.main(["--write"]) == 0
    assert generate.main(["--check"]) == 0


def test_build_specs_gives_four_deployments_per_profile_named_after_it(tmp_path):
    a = write_profile(tmp_path, "shop-a", "interval_minutes = 5\n")
    b = write_profile(tmp_path, "shop-b", 'daily_at = "06:30"\n')
    specs = build_specs([str(a), str(b)])
    assert [s.full_name for s in specs] == [
        "import-orders/shop-a",
        "rescan/shop-a",
        "backfill/shop-a",
        "quality-report/shop-a",
        "import-orders/shop-b",
        "rescan/shop-b",
        "backfill/shop-b",
        "quality-report/shop-b",
    ]
    by_name = {s.full_name: s for s in specs}
    assert by_name["import-orders/shop-a"].schedules[0].interval_seconds == 300
    assert by_name["import-orders/shop-b"].schedules[0].cron == "30 6 * * *"
    assert by_name["backfill/shop-a"].schedules == ()
    assert "profile:shop-b" in by_name["rescan/shop-b"].tags


def test_profile_outside_profiles_dir_is_passed_as_absolute_path(tmp_path):
    path = write_profile(tmp_path, "elsewhere")
    spec = build_specs([str(path)])[0]
    assert spec.parameters == {"profile": str(path.resolve())}


def test_profile_in_profiles_dir_is_passed_by_name():
    spec = build_specs(["demo"])[0]
    assert spec.parameters == {"profile": "demo"}


def test_build_specs_without_schedule_is_one_click_only(tmp_path):
    path = write_profile(tmp_path, "manual")
    spec = build_specs([str(path)])[0]
    assert spec.flow == "import-orders"
    assert spec.schedules == ()


def test_build_specs_refuses_two_profiles_with_one_name(tmp_path):
    (tmp_path / "x").mkdir()
    a = write_profile(tmp_path, "same")
    b = write_profile(tmp_path / "x", "same")
    with pytest.raises(ConfigError):
        build_specs([str(a), str(b)])


def test_rendered_yaml_entries_carry_entrypoint_schedule_and_pool(tmp_path):
    path = write_profile(tmp_path, "cronshop", 'cron = "0 */2 * * *"\n')
    document = yaml.safe_load(render_prefect_yaml(build_specs([str(path)])))
    first = document["deployments"][0]
    assert first["entrypoint"] == "flows/import_orders.py:import_orders"
    assert first["schedules"] == [
        {"cron": "0 */2 * * *", "timezone": "Europe/Amsterdam"}
    ]
    assert first["work_pool"]["name"] == generate.WORK_POOL
    for entry in document["deployments"]:
        file_path, _, func = entry["entrypoint"].partition(":")
        assert (ROOT / file_path).exists()
        assert func
