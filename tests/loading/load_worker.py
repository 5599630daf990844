"""Run one load against a sandbox URL; the SIGKILL test kills it at will.

``python -m tests.loading.load_worker URL DATA_DIR ORDERS RUN_ID`` builds the
deterministic plan of ``tests.loading.plans`` for orders 1..ORDERS and runs
execute_plan with the profile's ledger under DATA_DIR. It prints
``loading`` when the load starts and the load summary as JSON when it gets
to finish.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import SecretStr

from koppel import settings, staging
from koppel.loading import LoadOptions, execute_plan
from koppel.profile import parse_profile
from koppel.snelstart.client import SnelstartClient
from tests.loading.plans import UNLIMITED, build_plan, profile_data, seeded


def main(url: str, data_dir: str, orders: int, run_id: str) -> None:
    """Load orders 1..``orders`` once; print the summary."""
    profile = parse_profile(profile_data(Path(data_dir), url, **UNLIMITED))
    client = SnelstartClient(
        profile.snelstart,
        clientkey=SecretStr(settings.DEMO_SNELSTART_CLIENTKEY),
        subscription_key=SecretStr(settings.DEMO_SNELSTART_SUBSCRIPTION_KEY),
        backoff_base=0.01,
    )
    with client:
        plan = build_plan(
            seeded(client),
            range(1, orders + 1),
            new_customer_every=7,
            new_article_every=11,
        )
        with staging.connect(profile.database_path) as con:
            # the test times its kill from here, not from process start
            print("loading", flush=True)
            result = execute_plan(
                client,
                con,
                plan,
                profile=profile,
                run_id=run_id,
                options=LoadOptions(workers=4, chunk_size=25, settle_seconds=0.0),
            )
    print(json.dumps(result.summary()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
