"""Server-side SVG bar charts: the geometry only (the template draws it, CSS colours it; no JS, no inline
style, so the strict CSP holds). Sized for a phone: a 360-unit-wide view box keeps the text legible when the
chart is drawn 330 px wide."""

from dataclasses import dataclass

WIDTH = 360
HEIGHT = 170
TOP = 18  # room for the top gridline's label
BOTTOM = 20  # room for the first and last week's dates
GAP = 3


@dataclass
class DrawnBar:
    x: float
    y: float
    width: float
    height: float
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
        drawn.append(
            DrawnBar(round(i * slot + GAP / 2, 1), round(TOP + plot - height, 1), round(slot - GAP, 1), height, bar)
        )
    peak = max(bars, key=lambda b: b.value) if bars else None
    return {
        **chart,
        "width": WIDTH,
        "height": HEIGHT,
        "drawn": drawn,
        "top": top,
        "half": top / 2,
        "top_y": TOP,
        "half_y": TOP + plot / 2,
        "base_y": TOP + plot,
        "plot_height": plot,
        "label_y": HEIGHT - 5,
        "total": sum(b.value for b in bars),
        "peak": peak,
        "first": bars[0] if bars else None,
        "last": bars[-1] if bars else None,
    }
