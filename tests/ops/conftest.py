"""Keep koppel's logs out of Prefect's API log handler in these tests.

Once any test has imported Prefect with ``PREFECT_LOGGING_EXTRA_LOGGERS=koppel``
(the CLI sets it), the ``koppel`` logger carries an API handler for the rest
of the session, and a koppel warning logged outside a flow run becomes a
``UserWarning``, which ``filterwarnings = error`` turns into a failure. The
pure functions tested here log outside flow runs on purpose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _koppel_logs_stay_local() -> Iterator[None]:
    logger = logging.getLogger("koppel")
    removed = [h for h in logger.handlers if type(h).__name__ == "APILogHandler"]
    for handler in removed:
        logger.removeHandler(handler)
    try:
        yield
    finally:
        for handler in removed:
            logger.addHandler(handler)
