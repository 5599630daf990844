"""Book the demo shop in the sandboxes, then write the report and its screenshot.

    python bench/report_screenshot.py OUT.png [--html OUT.html]
        [--orders 200] [--seed 1] [--size 1280,2400]

Starts both sandboxes on 127.0.0.1, runs extract, validate, map and load
(no Prefect), reconciles with what the SnelStart sandbox holds, renders the
standalone HTML report and screenshots it with headless Chromium (offline
flags, see ``koppel.reports.browser``). Prints the figures and timings. The
coordinator commits one PNG for the README; nothing here is committed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _book(profile_path: Path) -> tuple[object, dict[str, object]]:
    from koppel import pipeline, staging
    from koppel.ops.metrics import record_run

    started = datetime.now(UTC)
    ctx = pipeline.open_context(str(profile_path), pipeline.new_run_id())
    summary = pipeline.run_once(ctx)
    with staging.connect(ctx.database) as con:
        record_run(
            con,
            run_id=ctx.run_id,
            profile=ctx.profile.name,
            kind="import",
            started_at=started,
            finished_at=datetime.now(UTC),
            status="completed",
            summary=summary,
        )
    return ctx, summary


def _report(ctx: object, html_path: Path) -> tuple[object, float]:
    from koppel import staging
    from koppel.cli_reports import fetch_for_report
    from koppel.reports import quality_report, reconcile, render_html

    profile = ctx.profile  # type: ignore[attr-defined]
    with staging.connect(profile.database_path, read_only=True) as con:
        first, last = con.execute(
            "SELECT min(date_add), max(date_add) FROM stg_orders"
        ).fetchone()
    since = first.astimezone(profile.zone).date()
    until = last.astimezone(profile.zone).date()
    started = time.perf_counter()
    records = fetch_for_report(profile, since, until)
    with staging.connect(profile.database_path, read_only=True) as con:
        rec = reconcile(con, records, profile=profile, since=since, until=until)
        quality = quality_report(con, since=since, until=until, profile=profile)
    html_path.write_text(render_html(rec, quality), encoding="utf-8")
    return rec, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the demo, write the report and the PNG, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", type=Path, help="where the screenshot goes")
    parser.add_argument("--html", type=Path, help="also keep the HTML here")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="1280,2400", help="window WIDTH,HEIGHT")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from koppel import settings
    from koppel.cli import start_sandboxes, write_sandbox_profile
    from koppel.reports import browser

    binary = browser.find_chromium()
    if binary is None:
        print("no chromium binary: install Debian's `chromium` package")
        return 2
    for name, value in settings.DEMO_ENV.items():
        os.environ.setdefault(name, value)

    with tempfile.TemporaryDirectory(prefix="koppel-report-") as scratch:
        work = Path(scratch)
        started = time.perf_counter()
        ps_server, sn_server, _, _ = start_sandboxes(orders=args.orders, seed=args.seed)
        try:
            profile_path = write_sandbox_profile(work, ps_server.url, sn_server.url)
            ctx, summary = _book(profile_path)
            booked_seconds = time.perf_counter() - started
            html_path = args.html or work / "report.html"
            rec, report_seconds = _report(ctx, html_path)
        finally:
            ps_server.stop()
            sn_server.stop()
        shot_started = time.perf_counter()
        png = browser.screenshot(
            binary, html_path, args.png, work=work / "chromium", size=args.size
        )
        shot_seconds = time.perf_counter() - shot_started

    print(f"orders in the shop        {args.orders}")
    print(f"booked                    {summary['loaded']}")
    print(f"quarantined               {summary['quarantined']}")
    print(f"unexplained differences   {len(rec.unexplained)}")  # type: ignore[attr-defined]
    print(f"book the demo (s)         {booked_seconds:.1f}")
    print(f"reconcile + quality (s)   {report_seconds:.2f}")
    print(f"screenshot (s)            {shot_seconds:.1f}")
    print(f"PNG                       {png} ({png.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
