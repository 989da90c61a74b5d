"""Fetch public data tables with pooch, pinned by sha256, from an offline-friendly cache."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pooch

from helpers.errors import ProjectError

CACHE_ENV = "CCTV_DATA_DIR"


@dataclass(frozen=True)
class RemoteTable:
    """A public file: where it lives, its expected sha256 and the name it is cached under."""

    url: str
    sha256: str
    filename: str
    description: str


TABLES: dict[str, RemoteTable] = {
    "comparitech_2021": RemoteTable(
        url="https://raw.githubusercontent.com/Martain24/python_projects/main/city_cameras.csv",
        sha256="3398434e5c76192fbada9fc769332fd785f142f25fe295be0808ed8566ce1225",
        filename="comparitech_2021_cities.csv",
        description="Comparitech's 2021 city CCTV table, republished in Martain24/python_projects",
    ),
}


def cache_dir() -> Path:
    """The folder named by $CCTV_DATA_DIR, else pooch's per-user cache for this project."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env) if env else Path(pooch.os_cache("cctv-density"))


def fetch_table(name: str) -> Path:
    """Local path of the named public table: from the cache if its sha256 matches, else downloaded."""
    if name not in TABLES:
        raise ProjectError(f"unknown public table {name!r}; known: {', '.join(sorted(TABLES))}")
    table = TABLES[name]
    folder = cache_dir()
    try:
        return Path(pooch.retrieve(table.url, known_hash=f"sha256:{table.sha256}", fname=table.filename,
                                   path=folder, progressbar=False))
    except Exception as exc:  # network errors, hash mismatches, read-only caches
        raise ProjectError(
            f"could not get {name} ({table.description}): {type(exc).__name__}: {exc}\n"
            f"  looked for {folder / table.filename} (sha256 {table.sha256})\n"
            f"  and tried {table.url}\n"
            f"  Fix: connect to the internet, or set {CACHE_ENV} to a folder holding {table.filename}, "
            "or run article-only with city_tables=[]"
        ) from None
