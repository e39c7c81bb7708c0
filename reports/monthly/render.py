"""The report's words and files: metric labels, numbers in the reader's language, the CSV and the PDF.

The PDF is drawn with ReportLab in DejaVu Sans (vendored in fonts/ with its licence: it has every
Vietnamese glyph, which ReportLab's built-in fonts lack), so the file is the same on every server.
"""

import csv
import io
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import grouped, vnd
from registrations.checks.rules.catalogue import BY_CODE

from .figures import METRIC_CODES, TREND_CODES, Month

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"

LEGAL_BASIS = (
    gettext_lazy("Directive 11/CT-BTTTT (2016): supervision of SIM-selling agents and points; no pre-activated SIMs"),
    gettext_lazy("Decree 49/2017/ND-CP: subscriber registration in person, records and limits per ID document"),
    gettext_lazy("Decree 163/2024/ND-CP: registration in the operator's app; online only for the first 3 numbers"),
    gettext_lazy("Circular 08/2026/TT-BKHCN: matching against the National Population Database"),
    gettext_lazy("Decree 13/2023/ND-CP: protection of personal data"),
    gettext_lazy("Law on Information Technology 2006, article 22: subscribers' personal information"),
)

_LABELS = {
    "registrations": gettext_lazy("Registrations"),
    "registrations_cancelled": gettext_lazy("of which cancelled"),
    "activations": gettext_lazy("Activations (first network use)"),
    "flagged_any": gettext_lazy("Registrations with an open or confirmed flag"),
    "points_active": gettext_lazy("Active registration points at the month's end"),
    "agents_active": gettext_lazy("Active agents at the month's end"),
    "inspections_due": gettext_lazy("Inspections due"),
    "inspections_done": gettext_lazy("Inspections completed"),
    "findings": gettext_lazy("Findings"),
    "sanctions_approved": gettext_lazy("Sanctions approved"),
    "fines_vnd": gettext_lazy("Fines approved"),
    "corrective_actions_due": gettext_lazy("Corrective actions due"),
    "corrective_actions_done_on_time": gettext_lazy("Corrective actions done on time"),
    "subject_requests_received": gettext_lazy("Subscriber data requests received"),
    "subject_requests_on_time": gettext_lazy("Subscriber data requests completed on time"),
    "remediation_cases_opened": gettext_lazy("Remediation cases opened"),
    "remediation_steps_on_time": gettext_lazy("Remediation steps done by the operator on time"),
    "remediation_steps_late": gettext_lazy("Remediation steps done by the operator late"),
    "campaigns_open": gettext_lazy("Re-verification campaigns open at the month's end"),
}
MONEY_CODES = frozenset({"fines_vnd"})


def metric_label(code: str) -> str:
    """The metric in words, in the active language; `flagged.<RULE>` by the rule's name."""
    if code.startswith("flagged."):
        rule = BY_CODE.get(code.split(".", 1)[1])
        if rule is not None:
            name = rule["name_vi"] if translation.get_language() == "vi" else rule["name_en"]
            return _("Flagged: %(rule)s") % {"rule": name}
    if code.startswith("remediation_cases."):
        from enforcement.remediation.models import Step

        step = code.split(".", 1)[1]
        if step in Step.values:
            return _("Remediation step due: %(step)s") % {"step": Step(step).label}
    if code.startswith("campaign_cases."):
        from enforcement.campaigns.progress import Progress

        bucket = code.split(".", 1)[1]
        if bucket in Progress.values:
            return _("Campaign subscriptions: %(progress)s") % {"progress": Progress(bucket).label}
    label = _LABELS.get(code)
    return str(label) if label is not None else code


def campaign_summary(figures: dict) -> str:
    """The re-verification campaigns' figures in a sentence (active language); "" for a report without them
    (one issued before they existed)."""
    codes = ("campaigns_open", *(f"campaign_cases.{b}" for b in ("REVERIFIED", "CORRECTED", "TERMINATED", "PENDING")))
    if any(code not in figures for code in codes):
        return ""
    values = {code.split(".")[-1]: format_number(figures[code]) for code in codes}
    return (
        _(
            "Re-verification campaigns open at the month's end: %(campaigns_open)s. Subscriptions in the month's "
            "campaigns: re-verified against the population database %(REVERIFIED)s, corrected %(CORRECTED)s, "
            "terminated %(TERMINATED)s, still pending on the remediation ladder %(PENDING)s."
        )
        % values
    ) + _withdrawn_sentence(figures)


def _withdrawn_sentence(figures: dict) -> str:
    """Subscriptions of withdrawn campaigns, when there are any (reports issued before withdrawal existed
    have no such figure)."""
    withdrawn = figures.get("campaign_cases.WITHDRAWN") or 0
    if not withdrawn:
        return ""
    return " " + _("Withdrawn with their campaign (started by mistake): %(n)s.") % {"n": format_number(withdrawn)}


def format_number(value: int) -> str:
    """4.827 in Vietnamese, 4,827 in English (the active language): core.numbers, as every page groups."""
    return grouped(int(value))


def format_value(code: str, value: int) -> str:
    return vnd(value) if code in MONEY_CODES else format_number(value)


def month_title(month: Month) -> str:
    return _("Monthly compliance report, %(month)02d/%(year)d") % {"month": month.month, "year": month.year}


def scope_text(provinces: list[str]) -> str:
    from core.models import Province

    if not provinces:
        return _("All provinces")
    names = Province.objects.filter(code__in=provinces).order_by("code").values_list("code", "name")
    return ", ".join(f"{code} {name}" for code, name in names)


def local_time_text(when) -> str:
    local = timezone.localtime(when)
    return f"{local:%Y-%m-%d %H:%M} ({local.tzinfo})"


# --- CSV ----------------------------------------------------------------------------------------------


def ordered(figures: dict[str, int]) -> dict[str, int]:
    """The figures in METRIC_CODES order, extra codes after (PostgreSQL's jsonb does not keep key order)."""
    order = {code: i for i, code in enumerate(METRIC_CODES)}
    return dict(sorted(figures.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def render_csv(figures: dict[str, int]) -> bytes:
    """`metric,value`, one row per metric in METRIC_CODES order (then any extra codes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    codes = [*METRIC_CODES, *(code for code in figures if code not in METRIC_CODES)]
    for code in codes:
        writer.writerow([code, figures[code]])
    return out.getvalue().encode("utf-8")


# --- PDF ----------------------------------------------------------------------------------------------


@cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def render_pdf(
    *,
    month: Month,
    provinces: list[str],
    figures: dict[str, int],
    language: str,
    computed_at,
    issued: dict | None = None,
    trend: list[dict] | None = None,
) -> bytes:
    """The report as a PDF in `language`; `issued` ({"version", "by", "at"}) for an issued report; `trend`
    (figures.compute_trend: the 12 months ending with this one) adds the trend table."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    with translation.override(language):
        title = month_title(month)
        base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13)
        h1 = ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4)
        h2 = ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
        small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))

        def p(text, style=base):
            return Paragraph(escape(str(text)), style)

        story = [
            p(title, h1),
            p(_("Operator: %(name)s") % {"name": settings.OPERATOR_NAME}),
            p(_("Scope: %(scope)s") % {"scope": scope_text(provinces)}),
            p(_("Figures computed at %(when)s") % {"when": local_time_text(computed_at)}),
        ]
        if issued:
            story.append(
                p(
                    _("Issued as version %(version)d by %(by)s at %(when)s")
                    % {"version": issued["version"], "by": issued["by"], "when": local_time_text(issued["at"])}
                )
            )
            head = issued.get("audit_head") or {}
            if head:
                story.append(
                    p(
                        _("Audit trail head at issue: event %(id)s, %(hash)s")
                        % {"id": head.get("id"), "hash": head.get("hash")},
                        small,
                    )
                )
        else:
            story.append(p(_("Draft: not issued."), small))
        story.append(p(_("Legal basis"), h2))
        story.extend(p(f"• {item}") for item in LEGAL_BASIS)
        story.append(p(_("Figures"), h2))
        code_style = ParagraphStyle("code", parent=small, fontSize=7, leading=9)
        value_style = ParagraphStyle("value", parent=base, alignment=2)  # right-aligned
        rows = [[p(_("Metric"), small), p(_("Code"), small), p(_("Value"), small)]]
        for code, value in ordered(figures).items():
            rows.append([p(metric_label(code)), p(code, code_style), p(format_value(code, value), value_style)])
        table = Table(rows, colWidths=[86 * mm, 58 * mm, 30 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ]
            )
        )
        story.append(table)
        summary = campaign_summary(figures)
        if summary:
            story.append(p(_("Re-verification campaigns"), h2))
            story.append(p(summary))
        if trend:
            story.append(p(_("12-month trend"), h2))
            trend_rows = [[p(_("Month"), small), *(p(metric_label(code), small) for code in TREND_CODES)]]
            for row in trend:
                trend_rows.append(
                    [p(row["month"]), *(p(format_number(row[code]), value_style) for code in TREND_CODES)]
                )
            trend_table = Table(trend_rows, colWidths=[30 * mm, 72 * mm, 72 * mm], repeatRows=1)
            trend_table.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), FONT),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ]
                )
            )
            story.append(trend_table)
        story.append(Spacer(1, 6 * mm))
        story.append(
            p(
                _(
                    "Months are local calendar months (Asia/Ho_Chi_Minh). Flag counts are the subjects of the "
                    "month with an open or confirmed flag when the figures were computed."
                ),
                small,
            )
        )
        page_text = _("Page %(page)d")
        footer_title = title

        def footer(canvas, doc):
            canvas.saveState()
            canvas.setFont(FONT, 7.5)
            canvas.drawString(18 * mm, 10 * mm, footer_title)
            canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, page_text % {"page": doc.page})
            canvas.restoreState()

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=title,
            author=str(settings.OPERATOR_NAME),
            creator="SIM Agent Watch",
            invariant=1,  # no random document id or creation date: the same input gives the same bytes
        )
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
