"""Server-side SVG bar charts: the geometry only (the template draws it, CSS colours it; no JS, no inline
style, so the strict CSP holds). Sized for a phone: a 360-unit-wide view box keeps the text legible when the
chart is drawn 330 px wide."""

from dataclasses import dataclass

from .formats import grouped

WIDTH = 360
HEIGHT = 170
TOP = 18  # room for the top gridline's label
BOTTOM = 20  # room for the first and last week's dates
GAP = 3


def num(value: float) -> str:
    """An SVG coordinate: always a dot for the decimals, whatever the reader's language (Vietnamese
    formats 84.0 as "84,0", which no browser reads as a length)."""
    return f"{value:.1f}".removesuffix(".0")


@dataclass
class DrawnBar:
    x: str
    y: str
    width: str
    height: str
    bar: object  # selectors.Bar: start, end, value, url


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def bar_chart(chart: dict) -> dict:
    bars = chart["bars"]
    top = nice_ceiling(max((b.value for b in bars), default=0))
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / max(len(bars), 1)
    drawn = []
    for i, bar in enumerate(bars):
        height = round(plot * bar.value / top, 1)
        # a week with rows keeps a visible sliver, so "few" never reads as "none"
        if bar.value and height < 1.5:
            height = 1.5
        drawn.append(DrawnBar(num(i * slot + GAP / 2), num(TOP + plot - height), num(slot - GAP), num(height), bar))
    peak = max(bars, key=lambda b: b.value) if bars else None
    return {
        **chart,
        "width": WIDTH,
        "height": HEIGHT,
        "drawn": drawn,
        "top": top,
        "top_text": grouped(top),
        "top_y": num(TOP),
        "tick_y": num(TOP - 4),
        "half_y": num(TOP + plot / 2),
        "base_y": num(TOP + plot),
        "plot_height": num(plot),
        "label_y": num(HEIGHT - 5),
        "total": sum(b.value for b in bars),
        "total_text": grouped(sum(b.value for b in bars)),
        "peak": peak,
        "first": bars[0] if bars else None,
        "last": bars[-1] if bars else None,
    }
