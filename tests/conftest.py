"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.paths import SHARED_DATA

CITY_TABLE_NAME = "comparitech_2021_cities.csv"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ../shared/data holding the real public city table; skip where it is absent."""
    if not (SHARED_DATA / CITY_TABLE_NAME).is_file():
        pytest.skip(f"real city table not available: {SHARED_DATA / CITY_TABLE_NAME} does not exist")
    return SHARED_DATA
