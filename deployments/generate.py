"""Build koppel's Prefect deployments from the profiles.

Every profile gets four deployments, one per flow, each named after the
profile (so the UI shows ``import-orders/demo``, ``backfill/demo``, …):

- ``import-orders``: on the profile's ``[schedule]`` (every 5/15/30/60
  minutes, daily at a time, or cron, all in the profile timezone); without a
  schedule it is a one-click deployment.
- ``rescan``: nightly at 03:30 shop time, unless ``rescan_days = 0``.
- ``backfill`` and ``quality-report``: ad hoc; the UI asks for the range.

The specs are plain data, so the same list renders ``deployments/prefect.yaml``
(for ``prefect deploy``), feeds ``koppel deploy`` / ``koppel serve`` and is
checked by the tests. Run ``python -m deployments.generate --write`` after
adding or changing a profile; ``--check`` fails when the file is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from koppel.ops.schedule import ScheduleSpec, rescan_schedule, schedule_for
from koppel.profile import PROFILE_DIR, Profile, find_profile, load_profile

__all__ = [
    "PREFECT_YAML",
    "WORK_POOL",
    "DeploymentSpec",
    "build_specs",
    "load_profiles",
    "main",
    "render_prefect_yaml",
    "specs_for_profile",
]

PREFECT_YAML = Path(__file__).with_name("prefect.yaml")
WORK_POOL = "koppel"

# flow name -> (module path, file entrypoint)
FLOWS: dict[str, tuple[str, str]] = {
    "import-orders": (
        "flows.import_orders.import_orders",
        "flows/import_orders.py:import_orders",
    ),
    "rescan": ("flows.rescan.rescan", "flows/rescan.py:rescan"),
    "backfill": ("flows.backfill.backfill", "flows/backfill.py:backfill"),
    "quality-report": (
        "flows.quality_report.quality_report",
        "flows/quality_report.py:quality_report",
    ),
}


@dataclass(frozen=True)
class DeploymentSpec:
    """One Prefect deployment of one koppel flow for one profile.

    Attributes:
        flow: the flow name (a key of ``FLOWS``).
        name: the deployment name, which is the profile name.
        profile: the ``profile`` parameter: the name for profiles in
            ``profiles/``, else the path of the TOML file.
        description: shown in the Prefect UI.
        tags: ``koppel``, the flow and ``profile:<name>``.
        parameters: default parameters of every run.
        schedules: when it runs; empty for ad hoc deployments.
    """

    flow: str
    name: str
    profile: str
    description: str
    tags: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()

    @property
    def module_entrypoint(self) -> str:
        """``package.module.function`` of the flow (for ``koppel serve``)."""
        return FLOWS[self.flow][0]

    @property
    def file_entrypoint(self) -> str:
        """``path/file.py:function`` of the flow (for ``prefect deploy``)."""
        return FLOWS[self.flow][1]

    @property
    def full_name(self) -> str:
        """``flow/deployment``, as ``prefect deployment run`` expects it."""
        return f"{self.flow}/{self.name}"


def _profile_param(path: Path, profile: Profile) -> str:
    default = (PROFILE_DIR / f"{profile.name}.toml").resolve()
    if path.resolve() == default:
        return profile.name
    return str(path.resolve())


def specs_for_profile(path: Path, profile: Profile) -> list[DeploymentSpec]:
    """The four deployments of one profile."""
    param = _profile_param(path, profile)
    label = profile.description or profile.name

    def spec(flow: str, what: str, schedules: Iterable[ScheduleSpec | None] = ()):
        return DeploymentSpec(
            flow=flow,
            name=profile.name,
            profile=param,
            description=f"{what}: {label}",
            tags=("koppel", flow, f"profile:{profile.name}"),
            parameters={"profile": param},
            schedules=tuple(s for s in schedules if s is not None),
        )

    return [
        spec("import-orders", "Import new and changed orders", [schedule_for(profile)]),
        spec("rescan", "Nightly re-scan of recent orders", [rescan_schedule(profile)]),
        spec("backfill", "Backfill a date range in resumable chunks"),
        spec("quality-report", "Reconcile and report data quality"),
    ]


def load_profiles(refs: Sequence[str] = ()) -> list[tuple[Path, Profile]]:
    """Load profiles by name or path; no refs loads every ``profiles/*.toml``.

    Raises:
        ConfigError: when a profile does not exist or is invalid.
    """
    if refs:
        paths = [find_profile(ref) for ref in refs]
    else:
        paths = sorted(PROFILE_DIR.glob("*.toml"))
    return [(path, load_profile(path)) for path in paths]


def build_specs(refs: Sequence[str] = ()) -> list[DeploymentSpec]:
    """Every deployment of the given profiles (default: all in ``profiles/``).

    Raises:
        ConfigError: when a profile is invalid or two share a name.
    """
    from koppel.exceptions import ConfigError

    loaded = load_profiles(refs)
    names = [profile.name for _, profile in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = f"profile names must be unique for deployments; repeated: {twice}"
        raise ConfigError(msg)
    return [spec for path, p in loaded for spec in specs_for_profile(path, p)]


def _yaml_entry(spec: DeploymentSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "entrypoint": spec.file_entrypoint,
        "description": spec.description,
        "tags": list(spec.tags),
        "parameters": dict(spec.parameters),
        "schedules": [s.as_prefect_yaml() for s in spec.schedules],
        "work_pool": {"name": WORK_POOL, "work_queue_name": "default"},
    }


HEADER = """\
# Generated by `python -m deployments.generate --write` from profiles/*.toml;
# do not edit by hand (a test fails when this file and the profiles disagree).
#
# For `prefect deploy --prefect-file deployments/prefect.yaml --all`, run from
# the project root (workers load the flows and profiles from there; there is no
# pull step), with a process work pool named `koppel`
# (`prefect work-pool create koppel --type process`) and a worker
# (`prefect worker start --pool koppel`). Without a worker, use `koppel serve`.
"""


def render_prefect_yaml(specs: Sequence[DeploymentSpec]) -> str:
    """The text of ``deployments/prefect.yaml`` for these deployments."""
    document = {
        "name": "koppel",
        "prefect-version": "3.9.1",
        "build": None,
        "push": None,
        "deployments": [_yaml_entry(s) for s in specs],
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88)
    return HEADER + body


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m deployments.generate [--write | --check] [PROFILE ...]``."""
    parser = argparse.ArgumentParser(prog="python -m deployments.generate")
    parser.add_argument("profiles", nargs="*", help="names or paths (default: all)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write prefect.yaml")
    mode.add_argument("--check", action="store_true", help="fail if it is stale")
    args = parser.parse_args(argv)
    text = render_prefect_yaml(build_specs(args.profiles))
    if args.write:
        PREFECT_YAML.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        current = PREFECT_YAML.read_text(encoding="utf-8")
        if current != text:
            sys.stderr.write(
                f"{PREFECT_YAML} is stale: run `python -m deployments.generate "
                "--write`\n"
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
