from __future__ import annotations

import re
from datetime import date

import pytest

from koppel.reports import browser, quality_report, reconcile, render_html
from tests.reports import builders as b
from tests.reports import png
from tests.reports.test_reconcile import _problem_world

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 30)
PROFILE = b.profile()

EXTERNAL = re.compile(
    r"(?i)(https?:|ftp:|//[a-z0-9]|\bsrc\s*=|\bhref\s*=|@import|url\(|<script|<link"
    r"|<img|<iframe|<object|<embed)"
)


def _page(con) -> tuple[str, object]:
    rec = reconcile(con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL)
    b.quarantine(con, 6, "bad_postcode")
    quality = quality_report(con, since=SINCE, until=date.today(), profile=PROFILE)
    return render_html(rec, quality, profile_name="shop"), rec


def test_render_html_references_nothing_external(con):
    html, _ = _page(con)

    assert EXTERNAL.search(html) is None
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_render_html_escapes_shop_text(con):
    b.add_order(con, 1, payment='<script>alert("x")</script> https://evil.example/')
    rec = reconcile(con, [], profile=PROFILE, since=SINCE, until=UNTIL)

    html = render_html(rec)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_render_html_has_charts_and_tables(con):
    html, rec = _page(con)

    assert html.count('<svg class="chart') == 4
    assert html.count('<tr class="') >= len(rec.bridge) + len(rec.differences)
    assert 'id="bridge"' in html and 'id="differences"' in html


def test_render_html_without_quality_still_renders(con):
    rec = reconcile(con, [], profile=PROFILE, since=SINCE, until=UNTIL)

    html = render_html(rec)

    assert html.startswith("<!DOCTYPE html>")
    assert "Every order agrees." in html


def test_render_html_in_headless_chromium_renders_charts_and_tables(con, tmp_path):
    binary = browser.find_chromium()
    if binary is None:
        pytest.skip("no chromium binary: install Debian's `chromium` package")
    html, rec = _page(con)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")

    dom = browser.dump_dom(binary, page, work=tmp_path / "dom")
    shot = browser.screenshot(binary, page, tmp_path / "report.png", work=tmp_path)

    assert dom.count("<svg") == 4
    bars = re.findall(r'<rect class="bar s\d"[^>]*data-series="([^"]+)"', dom)
    assert {"shop, eligible", "booked in SnelStart", "VAT", "new"} <= set(bars)
    bridge = re.search(r'<table id="bridge">.*?</table>', dom, re.S)
    assert bridge is not None
    assert bridge.group(0).count("<tr") == len(rec.bridge) + 1
    differences = re.search(r'<table id="differences">.*?</table>', dom, re.S)
    assert differences is not None
    assert differences.group(0).count("<tr") == len(rec.differences) + 1
    assert shot.exists()
    assert png.png_size(shot) == (1280, 2000)
    assert png.png_distinct_rows(shot) > 300
