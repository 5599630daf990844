"""The status -> action table, Retry-After and SnelStart's error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from koppel.snelstart.errors import (
    Action,
    classify,
    classify_transport_error,
    parse_error_body,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("status", "method", "action"),
    [
        (200, "GET", Action.OK),
        (201, "POST", Action.OK),
        (204, "GET", Action.OK),
        (400, "POST", Action.REJECT),
        (404, "GET", Action.REJECT),
        (401, "GET", Action.REAUTH),
        (403, "POST", Action.DENIED),
        (408, "GET", Action.RETRY),
        (408, "POST", Action.AMBIGUOUS),
        (429, "GET", Action.WAIT),
        (429, "POST", Action.WAIT),
        (500, "GET", Action.RETRY),
        (503, "PUT", Action.RETRY),
        (502, "POST", Action.AMBIGUOUS),
        (504, "POST", Action.AMBIGUOUS),
    ],
    ids=lambda v: str(getattr(v, "value", v)),
)
def test_classify_status_and_method_gives_action(status, method, action):
    assert classify(status, method) is action


@pytest.mark.parametrize(
    ("exc", "method", "action"),
    [
        (httpx.ConnectError("refused"), "POST", Action.RETRY),
        (httpx.ConnectTimeout("slow"), "POST", Action.RETRY),
        (httpx.PoolTimeout("pool"), "POST", Action.RETRY),
        (httpx.ReadTimeout("read"), "POST", Action.AMBIGUOUS),
        (httpx.RemoteProtocolError("dropped"), "POST", Action.AMBIGUOUS),
        (httpx.ReadTimeout("read"), "GET", Action.RETRY),
        (httpx.ReadError("reset"), "PUT", Action.RETRY),
    ],
    ids=[
        "connect-post",
        "connect-timeout-post",
        "pool-post",
        "read-timeout-post",
        "dropped-post",
        "read-timeout-get",
        "read-error-put",
    ],
)
def test_classify_transport_error_post_after_sending_is_ambiguous(exc, method, action):
    assert classify_transport_error(exc, method) is action


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Fri, 04 Dec 2026 12:00:10 GMT", 10.0),
        ("nonsense", None),
    ],
    ids=["absent", "empty", "int", "zero", "fraction", "negative", "date", "bad"],
)
def test_parse_retry_after_header_gives_seconds(header, seconds):
    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ([{"errorCode": "REL-0008", "message": "code in use"}], ["REL-0008"]),
        (
            [
                {"errorCode": "VOR-0002", "message": "a"},
                {"errorCode": "VOR-0011", "message": "b"},
            ],
            ["VOR-0002", "VOR-0011"],
        ),
        ({"message": "invalid", "modelState": {"model.datum": ["bad"]}}, []),
        ({"Message": "Could not find a property named 'X'"}, []),
        ({"statusCode": 401, "message": "Access denied"}, []),
        ({"Message": "ALG-0104 invalid filter"}, ["ALG-0104"]),
    ],
    ids=["coded", "two-codes", "model-state", "odata", "gateway", "code-in-text"],
)
def test_parse_error_body_every_shape_gives_codes(body, codes):
    found, message = parse_error_body(json.dumps(body).encode())
    assert found == codes
    assert message


def test_parse_error_body_empty_or_text_gives_no_codes():
    assert parse_error_body(b"") == ([], "")
    codes, message = parse_error_body(b"<html>Bad gateway</html>")
    assert codes == []
    assert "Bad gateway" in message


def test_parse_error_body_long_message_is_cut():
    body = [{"errorCode": "ALG-0102", "message": "x" * 5000}]
    _, message = parse_error_body(json.dumps(body).encode())
    assert len(message) <= 300
