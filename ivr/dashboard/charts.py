"""Bar charts drawn as SVG on the server: no script, no library, nothing fetched.

Each chart scales to its container (a viewBox, no fixed size), so it reads at 1280 px
and on a phone; the pages put a table of the same numbers under every chart, which is
what a screen reader reads (the SVG itself is one labelled image). Only presentation
attributes are used: the dashboard's Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR_COLOR = "#1f5fbf"
PART_COLOR = "#15803d"
AXIS_COLOR = "#8a94a3"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and (optionally) a part of it drawn inside (contained)."""

    label: str
    value: float
    part: float | None = None


def _nice_max(value: float) -> float:
    """A round top for the axis (1, 2, 5 x 10^n) at or above ``value``."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def columns(bars: Sequence[Bar], label: str, *, every: int = 1, height: int = 220) -> Markup:
    """Vertical bars (calls per day, per hour); every ``every``-th label is written."""
    top = _nice_max(max((b.value for b in bars), default=0))
    left, bottom, right, ceiling = 40, 28, 8, 10
    plot_w, plot_h = WIDTH - left - right, height - bottom - ceiling
    slot = plot_w / max(len(bars), 1)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet" '
           'xmlns="http://www.w3.org/2000/svg">']
    for fraction in (0, 0.5, 1):
        y = ceiling + plot_h * (1 - fraction)
        out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{AXIS_COLOR}" stroke-width="0.5"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                   f'fill="#5b6675">{_number(top * fraction)}</text>')
    for i, bar in enumerate(bars):
        x = left + i * slot + slot * 0.12
        w = max(slot * 0.76, 1)
        h = plot_h * bar.value / top
        y = ceiling + plot_h - h
        tip = f"{bar.label}: {_number(bar.value)}"
        if bar.part is not None:
            tip += f" ({_number(bar.part)} contained)"
        out.append(f'<g data-label="{escape(bar.label)}" data-value="{_number(bar.value)}">'
                   f'<title>{escape(tip)}</title>'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                   f'fill="{BAR_COLOR}" rx="1.5"/>')
        if bar.part:
            ph = plot_h * bar.part / top
            out.append(f'<rect x="{x:.1f}" y="{ceiling + plot_h - ph:.1f}" width="{w:.1f}" '
                       f'height="{ph:.1f}" fill="{PART_COLOR}" rx="1.5"/>')
        out.append("</g>")
        if i % every == 0:
            out.append(f'<text x="{x + w / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                       f'font-size="11" fill="#5b6675">{escape(bar.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def rows(bars: Sequence[Bar], label: str, *, percent_of: float | None = None) -> Markup:
    """Horizontal bars with their labels and values written (outcomes, languages)."""
    line, left, right = 26, 190, 70
    height = max(len(bars), 1) * line + 6
    top = max((b.value for b in bars), default=0) or 1
    out = [f'<svg class="chart chart--rows" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">']
    for i, bar in enumerate(bars):
        y = 4 + i * line
        w = (WIDTH - left - right) * bar.value / top
        shown = _number(bar.value)
        if percent_of:
            shown += f" ({100 * bar.value / percent_of:.0f} %)"
        out.append(f'<g data-label="{escape(bar.label)}" data-value="{_number(bar.value)}">'
                   f'<title>{escape(bar.label)}: {escape(shown)}</title>'
                   f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
                   f'fill="#1c2430">{escape(bar.label)}</text>'
                   f'<rect x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" height="{line - 8}" '
                   f'fill="{BAR_COLOR}" rx="2"/>'
                   f'<text x="{left + w + 6:.1f}" y="{y + 16}" font-size="12" '
                   f'fill="#1c2430">{escape(shown)}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
