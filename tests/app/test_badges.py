"""app/badges.py: the Overview's state cards as HTML strings: the state in its colour and in
words, the reason, the range's SLOs, and every database string escaped."""

from __future__ import annotations

from datetime import datetime

from aoai_watch.app import badges, look
from aoai_watch.app.states import RegionState
from aoai_watch.probes import slo
from aoai_watch.probes.config import SloTargets

T0 = datetime(2026, 12, 1, 12, 0, 0)
HOSTILE = '<a href="https://evil.example/">click</a>'


def test_a_card_shows_state_since_reason_and_a_missed_latency_slo() -> None:
    state = RegionState("swedencentral", "degraded", T0, False, "slow: 30 of 240 answers over 2 s", "last 5 min: ...")
    slos = badges.verdicts(slo.Sli(1000, 1000), slo.Sli(8786, 10000), SloTargets())
    assert [v.words for v in slos] == [
        "availability 100.00% met (target 99.9%)",
        "under 2 s 87.86% missed (target 99.0%)",  # a latency breach reads as one, not as plain up
    ]
    card = badges.badge_html(state, "#17becf", slos, "24h")
    assert f"background:{look.STATE_COLOURS['degraded']}" in card and ">degraded</span>" in card
    assert "since 12:00:00 UTC" in card and "slow: 30 of 240 answers over 2 s" in card
    assert f'color:{look.STATE_COLOURS["down"]};font-weight:600">under 2 s 87.86% missed' in card
    assert "SLOs over 24h:" in card and "border-left:8px solid #17becf" in card


def test_a_region_without_probes_has_no_slo_lines() -> None:
    assert badges.verdicts(slo.Sli(0, 0), slo.Sli(0, 0), SloTargets()) == []
    card = badges.badge_html(
        RegionState("westus3", "no data", None, False, "no probes in this range", ""), "#000", [], "1h"
    )
    assert "SLOs over" not in card and "since" not in card and look.STATE_COLOURS["no data"] in card


def test_a_state_held_through_the_look_back_says_since_before() -> None:
    card = badges.badge_html(RegionState("failover", "up", T0, True, "no failure in this range", ""), "#000", [], "1h")
    assert "since before 12:00:00 UTC" in card


def test_strings_from_the_database_are_escaped() -> None:
    card = badges.badge_html(RegionState(HOSTILE, "down", T0, False, HOSTILE, HOSTILE), "#000", [], "1h")
    assert "<a href" not in card and card.count("&lt;a href=&quot;https://evil.example/&quot;&gt;") == 5
