"""The Overview's two charts (app/overview_charts.py) as plain functions over the prepared database
(tests/app/conftest.py): what each shows, checked on its data and on the HTML it draws, parsed
back with the standard library's HTML parser (the browser tests check them drawn in Chromium)."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from aoai_watch.app import look, overview_charts
from aoai_watch.probes.config import SloTargets

WIDTH = pd.Timedelta("15 minutes")
AT = pd.Timestamp("2025-01-01 10:00")
ORDER = ["failover", "eastus2", "swedencentral"]


class Tags(HTMLParser):
    """Every start tag of a document, in order, as (tag, attributes); and its text."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def having(self, attribute: str, value: str | None = None) -> list[dict[str, str]]:
        return [a for _, a in self.tags if attribute in a and (value is None or a[attribute] == value)]

    def marks(self, kind: str) -> list[dict[str, str]]:
        """Each drawn mark of `kind`, as its attributes, its style's properties and its labelled fields."""
        found = []
        for attrs in self.having("data-mark", kind):
            style = dict(part.split(":", 1) for part in attrs["style"].split(";") if part)
            fields = dict(part.split(": ", 1) for part in attrs["title"].split("\n"))
            found.append(attrs | {"css": style, "fields": fields})  # type: ignore[dict-item]
        return found


def pct(style: dict[str, str], name: str) -> float:
    return float(style[name].removesuffix("%"))


@pytest.fixture(scope="module")
def ratios(overview: pd.DataFrame) -> pd.Series:
    """Each region's availability in percent, by region: what the bars must show."""
    return (overview["good"] / overview["valid"] * 100).set_axis(overview["region"])


@pytest.fixture(scope="module")
def availability(overview: pd.DataFrame) -> overview_charts.SliBars:
    return overview_charts.availability(overview, 0.999, ORDER)


@pytest.fixture(scope="module")
def chart(history: pd.DataFrame, faults: pd.DataFrame) -> overview_charts.StatusHistory:
    return overview_charts.status_history(history, WIDTH, faults, ORDER)


@pytest.fixture(scope="module")
def drawn(chart: overview_charts.StatusHistory) -> pd.DataFrame:
    return chart.data


@pytest.fixture(scope="module")
def cells(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "cell"]


@pytest.fixture(scope="module")
def shaded(drawn: pd.DataFrame) -> pd.DataFrame:
    return drawn[drawn["layer"] == "fault"]


@pytest.fixture(scope="module")
def history_tags(chart: overview_charts.StatusHistory) -> Tags:
    return Tags(overview_charts.history_html(chart))


def test_availability_bars_show_each_regions_ratio_in_the_one_order(
    availability: overview_charts.SliBars, ratios: pd.Series
) -> None:
    assert list(availability.data["region"]) == ORDER
    shown = availability.data.set_index("region")
    assert shown["availability_pct"].to_dict() == pytest.approx(ratios.to_dict(), abs=1e-3)


def test_availability_bars_take_the_regions_colour_and_say_missed_in_red(
    availability: overview_charts.SliBars,
) -> None:
    shown = availability.data.set_index("region")
    assert shown["colour"].to_dict() == look.region_colours(ORDER)  # the same colour as on every page
    # eastus2 has an outage every 30 min: under 99.9%, said in words and in the down colour
    assert shown.loc["eastus2", "label"].endswith(" missed")
    assert shown.loc["eastus2", "label_colour"] == look.STATE_COLOURS["down"]
    assert (
        shown.loc["swedencentral", "label"] == "100.00%"  # as the table writes it (look.percent)
        and shown.loc["swedencentral", "label_colour"] != (look.STATE_COLOURS["down"])
    )


def test_availability_axis_starts_below_the_lowest_bar_and_the_target(
    availability: overview_charts.SliBars, ratios: pd.Series
) -> None:
    assert availability.low_pct < ratios.min() and availability.low_pct < 99.9
    assert availability.top_pct > 100  # room above a full bar for its label
    assert availability.ticks_pct[-1] == 100 and all(t >= availability.low_pct for t in availability.ticks_pct)


def test_latency_sli_bars_flag_a_region_under_the_latency_target(overview: pd.DataFrame) -> None:
    bars = overview_charts.latency_sli(overview, 0.99, 2.0, ORDER)
    shares = (overview["fast"] / overview["successful"]).set_axis(overview["region"])
    shown = bars.data.set_index("region")
    assert shown["availability_pct"].to_dict() == pytest.approx((shares * 100).to_dict(), abs=1e-3)
    for region, share in shares.items():
        assert shown.loc[region, "label"].endswith(" missed") == (share < 0.99)


def test_slo_bars_draw_both_slis_side_by_side_each_bar_as_tall_as_its_value(overview: pd.DataFrame) -> None:
    targets = SloTargets()
    tags = Tags(overview_charts.slo_bars(overview, targets, ORDER))
    assert len(tags.having("data-chart", "slo-bars")) == 1
    panels = {
        "availability %": overview_charts.availability(overview, targets.availability_target, ORDER),
        "under 2 s %": overview_charts.latency_sli(overview, targets.latency_target, 2.0, ORDER),
    }
    bars = tags.marks("bar")
    for axis, panel in panels.items():
        mine = [b for b in bars if axis in b["fields"]]
        assert [b["fields"]["region"] for b in mine] == ORDER, axis  # every region, in the one order
        for bar, value in zip(mine, panel.data["availability_pct"], strict=True):
            assert float(bar["fields"][axis]) == pytest.approx(value)
            expected = (value - panel.low_pct) / (panel.top_pct - panel.low_pct) * 100
            assert pct(bar["css"], "height") == pytest.approx(expected, abs=1e-3)
            assert bar["css"]["background"] == look.region_colours(ORDER)[bar["fields"]["region"]]


def test_slo_bars_draw_each_target_as_a_dashed_line_at_its_height(overview: pd.DataFrame) -> None:
    targets = SloTargets()
    document = overview_charts.slo_bars(overview, targets, ORDER)
    lines = [a for a in Tags(document).having("class", "aoai-target")]
    panels = [
        overview_charts.availability(overview, targets.availability_target, ORDER),
        overview_charts.latency_sli(overview, targets.latency_target, 2.0, ORDER),
    ]
    assert [p.target_pct for p in panels] == pytest.approx([99.9, 99.0])  # each panel its own target
    for line, panel in zip(lines, panels, strict=True):
        expected = (panel.target_pct - panel.low_pct) / (panel.top_pct - panel.low_pct) * 100
        assert float(line["style"].removeprefix("bottom:").removesuffix("%")) == pytest.approx(expected, abs=1e-3)
    assert "dashed: the target, 99.9%" in document and "dashed: the target, 99.0%" in document


def test_slo_bars_write_no_data_for_a_region_without_probes_and_draw_no_bar() -> None:
    overview = pd.DataFrame({"region": ["eastus2"], "valid": [0], "good": [0], "successful": [0], "fast": [0]})
    tags = Tags(overview_charts.slo_bars(overview, SloTargets()))
    assert tags.marks("bar") == [] and "no data" in tags.text


def test_status_history_rows_follow_the_one_order_then_the_drill_lanes(
    chart: overview_charts.StatusHistory, history_tags: Tags
) -> None:
    assert chart.lanes == [*ORDER, "drill: eastus2"]
    assert [a["data-lane"] for a in history_tags.having("data-lane")] == chart.lanes


def test_status_history_draws_faults_in_their_own_lane_never_on_a_regions_row(
    faults: pd.DataFrame, shaded: pd.DataFrame, cells: pd.DataFrame
) -> None:
    assert len(faults) >= 1 and list(shaded["lane"]) == ["drill: " + r for r in faults["region"]]
    assert set(cells["lane"]) == set(ORDER)  # the cells' rows hold probes only
    assert list(shaded["colour"]) == [look.region_colours(ORDER)[r] for r in faults["region"]]


def test_status_history_draws_a_fault_at_its_real_time_not_its_whole_bucket(
    cells: pd.DataFrame, faults: pd.DataFrame, shaded: pd.DataFrame, history_tags: Tags
) -> None:
    # the 2-second fault starts where it started and is a sliver wide, not a 15-minute bucket
    assert list(shaded["bucket"]) == list(faults["start_ts"])
    lo, hi = cells["bucket"].min(), cells["bucket_end"].max()
    width = (shaded["bucket_end"] - shaded["bucket"]).iloc[0]
    assert width == max(faults["end_ts"].iloc[0] - faults["start_ts"].iloc[0], (hi - lo) / 150) and width < WIDTH
    (fault,) = history_tags.marks("fault")
    assert pct(fault["css"], "left") == pytest.approx((faults["start_ts"].iloc[0] - lo) / (hi - lo) * 100, abs=1e-3)
    assert pct(fault["css"], "width") == pytest.approx(width / (hi - lo) * 100, abs=1e-3)
    assert fault["fields"]["fault"] == faults["fault"].iloc[0]


def test_status_history_fault_tooltip_keeps_the_recorded_end(
    faults: pd.DataFrame, shaded: pd.DataFrame, history_tags: Tags
) -> None:
    recorded = f"{faults['recorded_end_ts'].iloc[0]:%Y-%m-%d %H:%M:%S}"
    assert list(shaded["fault_until"]) == [recorded]
    (fault,) = history_tags.marks("fault")
    assert f"until (UTC): {recorded}" in fault["title"].split("\n")  # the hover text, one field a line


def test_status_history_fault_without_a_recorded_end_says_not_recorded(
    history: pd.DataFrame, faults: pd.DataFrame
) -> None:
    unrecorded = overview_charts.status_history(history, WIDTH, faults.assign(recorded_end_ts=pd.NaT))
    assert list(unrecorded.data["fault_until"].dropna()) == ["not recorded"]


def test_status_history_fault_of_a_region_not_shown_adds_no_lane(history: pd.DataFrame, faults: pd.DataFrame) -> None:
    other = faults.assign(region="westus")
    chart = overview_charts.status_history(history, WIDTH, other)
    assert "westus" not in set(chart.data["region"]) and not (chart.data["layer"] == "fault").any()
    assert Tags(overview_charts.history_html(chart)).marks("fault") == []


def test_status_history_has_one_cell_per_bucket_each_one_bucket_wide(
    history: pd.DataFrame, cells: pd.DataFrame, history_tags: Tags
) -> None:
    assert len(cells) == len(history) and ((cells["bucket_end"] - cells["bucket"]) == WIDTH).all()
    drawn = history_tags.marks("cell")
    assert len(drawn) == len(history)
    lo, hi = cells["bucket"].min(), cells["bucket_end"].max()
    for cell in drawn:
        start = pd.Timestamp(cell["fields"]["from (UTC)"])
        assert pct(cell["css"], "left") == pytest.approx((start - lo) / (hi - lo) * 100, abs=1e-3)
        assert pct(cell["css"], "width") == pytest.approx(WIDTH / (hi - lo) * 100, abs=1e-3)


def test_status_history_colours_cells_by_state(cells: pd.DataFrame, history_tags: Tags) -> None:
    east = cells[cells["region"] == "eastus2"]
    sweden = cells[cells["region"] == "swedencentral"]
    assert len(east) > 0 and len(sweden) > 0
    assert set(east["state"]) == {"up", "degraded"} and (east[east["state"] == "degraded"]["bad"] > 0).all()
    assert (sweden["state"] == "up").all()
    for cell in history_tags.marks("cell"):
        assert cell["data-state"] == cell["fields"]["state"]
        assert cell["css"]["background"] == look.STATE_COLOURS[cell["data-state"]]
    shown = [(c["fields"]["region"], c["data-state"]) for c in history_tags.marks("cell")]
    assert sorted(shown) == sorted(zip(cells["region"], cells["state"], strict=True))


def test_status_history_marks_half_bad_buckets_down() -> None:
    history = pd.DataFrame(
        {"region": ["eastus2"] * 3, "bucket": [AT, AT + WIDTH, AT + 2 * WIDTH], "probes": [4, 4, 4], "bad": [0, 1, 2]}
    )
    assert list(overview_charts.status_history(history, WIDTH).data["state"]) == ["up", "degraded", "down"]


def test_status_history_labels_six_utc_times_from_the_first_cell_to_the_last() -> None:
    history = pd.DataFrame(
        {"region": ["eastus2"] * 4, "bucket": [AT + i * WIDTH for i in range(4)], "probes": 4, "bad": 0}
    )
    document = overview_charts.history_html(overview_charts.status_history(history, WIDTH))
    times = [t for t in Tags(document).text if t[:2].isdigit() and ":" in t]
    # 4 cells of 15 min: an hour, so to the second
    assert len(times) == 6 and times[0] == "10:00:00" and times[-1] == "11:00:00"


def test_status_history_without_probes_says_so_and_draws_no_mark() -> None:
    empty = pd.DataFrame({"region": [], "bucket": pd.Series([], dtype="datetime64[us]"), "probes": [], "bad": []})
    tags = Tags(overview_charts.history_html(overview_charts.status_history(empty, WIDTH)))
    assert tags.having("data-mark") == [] and "no probes in this range" in tags.text


def test_hostile_names_are_drawn_as_text_never_as_markup() -> None:
    evil = '<a href="https://evil.example">x</a><script>alert(1)</script>'
    history = pd.DataFrame({"region": [evil], "bucket": [AT], "probes": [2], "bad": [1]})
    faults = pd.DataFrame(
        {"region": [evil], "fault": [evil], "start_ts": [AT], "end_ts": [AT + WIDTH], "recorded_end_ts": [pd.NaT]}
    )
    overview = pd.DataFrame({"region": [evil], "valid": [2], "good": [1], "successful": [2], "fast": [2]})
    for document in (
        overview_charts.history_html(overview_charts.status_history(history, WIDTH, faults)),
        overview_charts.slo_bars(overview, SloTargets()),
    ):
        tags = Tags(document)
        assert {t for t, _ in tags.tags} <= {"style", "div", "span", "i"}  # no <a>, no <script>
        assert evil in tags.text  # the name, written as itself
        assert any(evil in a.get("title", "") for _, a in tags.tags)  # and in the hover text


def test_a_bar_label_just_under_the_target_is_lifted_above_the_dashed_line() -> None:
    overview = pd.DataFrame({"region": ["eastus2"], "valid": [10_000], "good": [9_985], "successful": [1], "fast": [1]})
    bars = overview_charts.availability(overview, 0.999)  # 99.85% against 99.9%: the line crosses its label
    document = overview_charts.bars_html([bars])
    span = bars.top_pct - bars.low_pct
    line = (bars.target_pct - bars.low_pct) / span * 100
    (label,) = Tags(document).having("class", "aoai-bar-label")
    assert float(label["style"].split(";")[0].removeprefix("bottom:").removesuffix("%")) > line
    (bar,) = Tags(document).marks("bar")
    assert pct(bar["css"], "height") < line  # the bar itself stays where its value is
