"""The Overview's first row: one card per region with its state in colour, since when, why, and
whether the range meets its SLOs. Pure: a RegionState and numbers in, an HTML string out (for
`st.html`, which sanitises it with DOMPurify); every string from the database is escaped here."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..probes import slo
from ..probes.config import SloTargets
from . import look
from .slo_tables import fast_column
from .states import RegionState

__all__ = ["SloVerdict", "badge_html", "verdicts"]


@dataclass(frozen=True)
class SloVerdict:
    """One objective over the range: `under 2 s 87.50% missed (target 99.0%)`."""

    name: str
    value: str
    target: str
    missed: bool

    @property
    def words(self) -> str:
        verdict = "" if not self.value else " missed" if self.missed else " met"
        return f"{self.name} {self.value or 'no answers'}{verdict} (target {self.target})"


def verdicts(availability: slo.Sli, fast: slo.Sli, targets: SloTargets) -> list[SloVerdict]:
    """Availability and latency over the range against their targets; none without probes."""
    if not availability.valid:
        return []
    out = []
    for name, sli, target in (
        ("availability", availability, targets.availability_target),
        (fast_column(targets), fast, targets.latency_target),
    ):
        missed = sli.ratio is not None and sli.ratio < target
        out.append(SloVerdict(name, look.percent(sli.ratio), look.percent(target, 1), missed))
    return out


def badge_html(state: RegionState, colour: str, slos: list[SloVerdict], range_key: str) -> str:
    """The card of one region: its name on a bar of its colour, the state word on the state's
    colour, since, the reason, the window's counts and the range's SLOs (a missed one in the down
    colour, and said in words)."""
    e = html.escape
    since = ""
    if state.since is not None:
        since = ("since before " if state.since_before else "since ") + look.utc_time(state.since)
    down = look.STATE_COLOURS["down"]
    lines = "".join(
        f'<div class="aoai-slo" style="color:{down if v.missed else "#555"};'
        f'font-weight:{600 if v.missed else 400}">{e(v.words)}</div>'
        for v in slos
    )
    if lines:
        lines = f'<div style="margin-top:4px;color:#555">SLOs over {e(range_key)}:</div>{lines}'
    return (
        f'<div class="aoai-state" data-region="{e(state.region)}" data-state="{e(state.state)}" '
        f'style="border:1px solid #ddd;border-left:8px solid {colour};border-radius:6px;padding:8px 12px;'
        'font-size:0.85rem;line-height:1.4;min-height:11.5rem">'
        '<div style="display:flex;justify-content:space-between;align-items:center;gap:8px">'
        f'<strong style="font-size:1.05rem">{e(state.region)}</strong>'
        f'<span class="aoai-state-word" style="background:{look.STATE_COLOURS[state.state]};color:#fff;'
        f'border-radius:4px;padding:1px 10px;font-weight:700;text-transform:uppercase">{e(state.state)}</span>'
        "</div>"
        f'<div style="color:#555">{e(since)}</div>'
        f'<div class="aoai-reason" style="margin-top:4px;font-weight:600;display:-webkit-box;'
        f'-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden" title="{e(state.reason)}">'
        f"{e(state.reason)}</div>"
        f'<div style="color:#666">{e(state.evidence)}</div>'
        f"{lines}"
        "</div>"
    )
