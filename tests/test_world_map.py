"""The world map: city coordinates from GeoNames, the committed country outlines, and the figure drawn offline."""

from __future__ import annotations

import shutil
import socket

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers.data.geography import (
    OUTLINES,
    SHAPEFILE_PARTS,
    city_coordinates,
    country_outlines,
    locate,
    name_candidates,
    unplaced,
)
from helpers.data.table_facts import COUNTED, ESTIMATED
from helpers.errors import RawDataError
from helpers.report import captions
from helpers.report.figures import FORMATS, save_figure
from helpers.report.plots_map import AREA_MAX, AREA_MIN, inset_extent, marker_areas, plot_world_map

matplotlib.use("Agg")


# --- coordinates -------------------------------------------------------------------------------------------------

def test_name_candidates():
    assert name_candidates("London") == ["London"]
    assert name_candidates("Xinbei (New Taipei City)") == ["Xinbei (New Taipei City)", "Xinbei", "New Taipei City"]


@pytest.mark.parametrize(("city", "code", "expected"), [
    # GeoNames 2643743 "London", GB, 51.50853 N 0.12574 W: central London (51°30′N, 0°08′W), not London, Ontario
    ("London", "GBR", (51.50853, -0.12574, "London", 2643743)),
    # the same name in Canada is London, Ontario (GeoNames 6058560, 42.98339 N 81.23304 W): the country decides
    ("London", "CAN", (42.98339, -81.23304, "London", 6058560)),
    # "Bangalore" is an alternate name of GeoNames 1277333 "Bengaluru", 12.97194 N 77.59369 E (12°58′N, 77°36′E)
    ("Bangalore", "IND", (12.97194, 77.59369, "Bengaluru", 1277333)),
    # "Xinbei (New Taipei City)": the part in parentheses is GeoNames 12908892 "New Taipei City", 25.06 N 121.46 E
    ("Xinbei (New Taipei City)", "TWN", (25.06199, 121.45703, "New Taipei City", 12908892)),
    # Washington in the USA: GeoNames 4140963, 38.89511 N 77.03637 W (the capital; England's Washington is GBR)
    ("Washington", "USA", (38.89511, -77.03637, "Washington", 4140963)),
])
def test_locate_hand_checked(city, code, expected):
    assert locate(city, code) == expected


def test_unknown_city_has_no_coordinates_and_is_named():
    cities = pd.DataFrame({"city": ["London", "Atlantis", "Atlantis"], "country": ["UK", "Nowhere", "Nowhere"],
                           "country_code": ["GBR", "XXX", "XXX"]})
    placed = city_coordinates(cities)
    assert placed["latitude"].isna().tolist() == [False, True, True]
    assert placed.loc[0, "geonames_id"] == 2643743
    assert placed["geonames_name"].tolist() == ["London", "", ""]
    assert unplaced(placed) == ["Atlantis (Nowhere)"]  # once, though it has two rows
    assert placed["city"].equals(cities["city"])  # the input's columns are kept as they were


def test_city_coordinates_names_a_missing_column():
    with pytest.raises(RawDataError, match="no column country_code"):
        city_coordinates(pd.DataFrame({"city": ["London"]}))


# --- outlines ----------------------------------------------------------------------------------------------------

def test_country_outlines_from_the_committed_shapefile():
    # the .dbf holds 177 countries (data/raw/README.md), one of them Antarctica, which the map leaves out
    assert len(country_outlines(antarctica=True)) == 177
    assert len(country_outlines()) == 176


def test_country_outlines_need_every_part(tmp_path):
    for suffix in SHAPEFILE_PARTS:
        if suffix != ".dbf":
            shutil.copy(OUTLINES.with_suffix(suffix), tmp_path / f"world{suffix}")
    with pytest.raises(RawDataError, match=r"world\.dbf: missing"):
        country_outlines(tmp_path / "world.shp")


# --- the figure --------------------------------------------------------------------------------------------------

def test_marker_areas_by_hand():
    # log scale between 1 and 100: 10 is half way, so its area is (AREA_MIN + AREA_MAX) / 2; out of range clips
    areas = marker_areas(pd.Series([1.0, 10.0, 100.0, 1000.0]), 1.0, 100.0)
    assert areas == pytest.approx([AREA_MIN, (AREA_MIN + AREA_MAX) / 2, AREA_MAX, AREA_MAX])


def test_inset_extent_by_hand():
    # ten cities at longitudes 100..109 and latitudes 20..29: pandas' linear quantiles 0.05 and 0.95 are
    # 100 + 0.05 x 9 = 100.45 and 100 + 0.95 x 9 = 108.55 (20.45 and 28.55), then 2 degrees on each side
    rows = pd.DataFrame({"country_code": ["CHN"] * 10, "longitude": np.arange(100.0, 110.0),
                         "latitude": np.arange(20.0, 30.0)})
    assert inset_extent(rows, "CHN") == pytest.approx((98.45, 110.55, 18.45, 30.55))
    assert inset_extent(rows.iloc[:9], "CHN") is None  # fewer than ten cities: no inset
    assert inset_extent(rows, "IND") is None


def _cities() -> pd.DataFrame:
    """Six cities: counted ones elsewhere and in China, two estimated (one rate, one country), one with no
    cameras, one GeoNames does not know."""
    frame = pd.DataFrame({
        "city": ["London", "Delhi", "Shenzhen", "Kabul", "Kandahar", "Lagos", "Atlantis"],
        "country": ["UK", "India", "China", "Afghanistan", "Afghanistan", "Nigeria", "Nowhere"],
        "country_code": ["GBR", "IND", "CHN", "AFG", "AFG", "NGA", "XXX"],
        "per_1000": [13.35, 19.96, 35.0, 0.5, 0.5, 0.0, 3.0],
        "basis": [COUNTED, COUNTED, COUNTED, ESTIMATED, ESTIMATED, COUNTED, COUNTED],
    })
    return city_coordinates(frame)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the map tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_map_is_drawn_offline_with_every_kind_of_marker(no_network):
    import matplotlib.pyplot as plt

    fig, ax = plot_world_map(_cities())
    try:
        fig.canvas.draw()
        scatters = [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]
        drawn = sum(len(c.get_offsets()) for c in scatters)
        assert drawn == 6  # every city but Atlantis, which has no coordinates
        open_ones = [c for c in scatters if len(c.get_facecolors()) == 0]  # facecolors "none": estimated
        assert sum(len(c.get_offsets()) for c in open_ones) == 2
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
        assert texts and min(t.get_fontsize() for t in texts) >= 7  # 7 pt at print size: the figure is 7.2 in
        canvas = fig.bbox
        for t in texts:  # every text inside the canvas
            box = t.get_window_extent()
            assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0 and box.y1 <= canvas.y1, t
    finally:
        plt.close(fig)


def test_caption_names_what_is_not_drawn():
    placed = _cities()
    sources = pd.DataFrame({"name": ["mine"], "edition": ["later"], "sha256": ["0" * 64]})
    text = captions.figure("world_map", placed, sources)
    # the table in words (captions.source_words): edition 'later' of a table named 'mine'
    assert text.startswith("The 6 cities of Comparitech's later edition (mine)")
    assert "2 estimated cities" in text
    assert "Lagos, with no cameras counted, is a grey cross" in text
    assert "inset" not in text  # one Chinese city: no inset
    assert "Not drawn, for want of coordinates in GeoNames: Atlantis (Nowhere) (1 city)." in text


def test_inset_repeats_the_chinese_cities(no_network):
    import matplotlib.pyplot as plt

    names = ["Shenzhen", "Wuhan", "Shanghai", "Qingdao", "Beijing", "Guangzhou", "Chengdu", "Tianjin", "Hangzhou",
             "Nanjing"]
    placed = city_coordinates(pd.DataFrame({"city": names, "country": "China", "country_code": "CHN",
                                            "per_1000": np.linspace(1.0, 100.0, 10), "basis": COUNTED}))
    fig, ax = plot_world_map(placed)
    try:
        assert len(ax.child_axes) == 1
        assert sum(len(c.get_offsets()) for c in ax.child_axes[0].collections
                   if isinstance(c, matplotlib.collections.PathCollection)) == 9
        # 9, not 10: the box's west edge is the ten longitudes' quantile 0.05 (Chengdu 104.07, Guangzhou 113.25:
        # 104.07 + 0.45 x 9.18 = 108.20) less 2 degrees, 106.2, east of Chengdu; every other city is inside
    finally:
        plt.close(fig)
    assert "the inset shows the Chinese cities again" in captions.figure(
        "world_map", placed, pd.DataFrame({"name": ["t"], "edition": [""], "sha256": ["0" * 64]}))


@pytest.mark.slow
def test_map_files_are_byte_stable(tmp_path, no_network):
    import matplotlib.pyplot as plt

    made = []
    for run in ("a", "b"):
        fig, _ = plot_world_map(_cities())
        made.append(save_figure(fig, "world_map", caption="c", provenance={}, folder=tmp_path / run))
        plt.close(fig)
    for fmt in (*FORMATS, "json"):
        assert made[0][fmt].read_bytes() == made[1][fmt].read_bytes(), fmt
    assert np.all([made[0][f].stat().st_size > 0 for f in FORMATS])
