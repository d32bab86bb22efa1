"""Browser fixtures: one headless Chromium per module, skipped with the reason when it cannot run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import chromium, missing_reason

ARTIFACTS_ENV = "VMV_TEST_ARTIFACTS"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with chromium(1440, 1000) as d:
        yield d


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go: $VMV_TEST_ARTIFACTS, or tests/browser/artifacts/ (ignored by git)."""
    path = Path(os.environ.get(ARTIFACTS_ENV) or Path(__file__).parent / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
