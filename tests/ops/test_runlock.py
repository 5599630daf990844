from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from koppel.exceptions import StagingLockedError
from koppel.ops.runlock import lock_path, run_lock
from koppel.profile import load_profile

ROOT = Path(__file__).parents[2]


@pytest.fixture
def profile(tmp_path):
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('data_dir = "data"', f'data_dir = "{tmp_path.as_posix()}"')
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def test_run_lock_second_holder_fails_at_once(profile):
    with run_lock(profile, holder="run-1"):
        with pytest.raises(StagingLockedError, match="run-1"):
            with run_lock(profile, holder="run-2"):
                pass


def test_run_lock_is_free_again_after_the_block(profile):
    with run_lock(profile):
        pass
    with run_lock(profile, holder="again") as path:
        assert path == lock_path(profile)


def test_run_lock_held_by_other_process_refuses(profile):
    path = str(profile_path(profile))
    code = (
        "import sys, time\n"
        "from koppel.profile import load_profile\n"
        "from koppel.ops.runlock import run_lock\n"
        f"with run_lock(load_profile({path!r}), holder='other'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(StagingLockedError):
            with run_lock(profile):
                pass
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    with run_lock(profile):
        pass


def profile_path(profile) -> Path:
    return Path(profile.data_dir) / "demo.toml"
