"""The page's 12-month trend as a server-drawn SVG (no script, no style attribute: the CSP allows it)."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .figures import TREND_CODES
from .render import format_number, metric_label

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 640, 220, 44, 28, 12, 24
SERIES_CLASSES = ("trend-a", "trend-b")


def trend_chart(trend: list[dict]) -> SafeString:
    """Two lines (pre-activated SIMs, unverified records), one point a month, labelled axes."""
    peak = max([1, *(row[code] for row in trend for code in TREND_CODES)])
    step = (WIDTH - LEFT - RIGHT) / max(1, len(trend) - 1)
    plot_h = HEIGHT - TOP - BOTTOM

    def xy(i, value):
        return LEFT + i * step, TOP + plot_h * (1 - value / peak)

    parts = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        y = f"{y:.1f}"
        parts.append(
            format_html('<line class="trend-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>', LEFT, WIDTH - RIGHT, y, y)
        )
        parts.append(
            format_html(
                '<text class="trend-axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT - 4,
                float(y) + 4,
                format_number(round(peak * fraction)),
            )
        )
    for i, row in enumerate(trend):
        x = f"{xy(i, 0)[0]:.1f}"
        parts.append(
            format_html(
                '<text class="trend-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                HEIGHT - 8,
                f"{row['month'].month:02d}/{row['month'].year % 100:02d}",
            )
        )
    for code, css in zip(TREND_CODES, SERIES_CLASSES, strict=True):
        points = " ".join("{:.1f},{:.1f}".format(*xy(i, row[code])) for i, row in enumerate(trend))
        parts.append(
            format_html(
                '<polyline class="{}" points="{}"><title>{}</title></polyline>', css, points, metric_label(code)
            )
        )
        parts.append(
            format_html_join(
                "",
                '<circle class="{}" cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>',
                (
                    (css, *(f"{v:.1f}" for v in xy(i, row[code])), str(row["month"]), format_number(row[code]))
                    for i, row in enumerate(trend)
                ),
            )
        )
    return format_html(
        '<svg class="trend-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        " / ".join(metric_label(c) for c in TREND_CODES),
        SafeString("".join(parts)),
    )
