"""Small server-side SVG charts for the review pages (no JavaScript, no external assets).

Every text that goes into a chart is escaped here, so the result can be marked safe for Jinja.
Charts carry a <title> and the figures as text, so they read without colour and with a screen reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f4e79", "#2e86c1", "#7fb3d5", "#a04000", "#6c3483", "#117a65")
ROW = 26
LABEL_W = 230
BAR_W = 300
VALUE_W = 70


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f} %"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:.1f}".replace(".", ",")


def _label(text: str, limit: int) -> Markup:
    """A label cut to fit, with the full text as tooltip."""
    if len(text) <= limit:
        return escape(text)
    return Markup(f"<title>{escape(text)}</title>") + escape(text[: limit - 1].rstrip() + "…")


def hbars(
    items: Sequence[tuple[str, float]],
    title: str,
    max_value: float | None = None,
    unit: str = "",
    highlight: str | None = None,
    label_width: int = LABEL_W,
) -> Markup:
    """Horizontal bars, one per (label, value); unit '%' reads values as shares of 1."""
    if not items:
        return Markup("")
    top = max_value or max((v for _, v in items), default=0) or 1
    height = ROW * len(items) + 8
    width = label_width + BAR_W + VALUE_W
    limit = label_width // 7
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * ROW
        w = max(0.0, min(1.0, value / top)) * BAR_W
        colour = PALETTE[0] if highlight in (None, label) else PALETTE[2]
        x0 = label_width
        parts.append(
            f'<text x="{x0 - 8}" y="{y + 17}" text-anchor="end" class="chart-label">'
            f"{_label(label, limit)}</text>"
            f'<rect x="{x0}" y="{y + 4}" width="{BAR_W}" height="{ROW - 8}" class="chart-track"/>'
            f'<rect x="{x0}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" fill="{colour}"/>'
            f'<text x="{x0 + BAR_W + 8}" y="{y + 17}" class="chart-value">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    title: str,
) -> Markup:
    """One 100 % bar per row, split into the series (e.g. types per Land), with a legend."""
    if not rows:
        return Markup("")
    width = LABEL_W + BAR_W + VALUE_W
    legend: list[str] = []
    x, y = 4, 4
    for k, name in enumerate(series):
        step = 16 + 7 * len(name) + 14
        if x > 4 and x + step > width:  # wrap the legend instead of cutting it off
            x, y = 4, y + 18
        legend.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{y + 11}" class="chart-legend">{escape(name)}</text>'
        )
        x += step
    legend_h = y + 20
    height = ROW * len(rows) + legend_h + 8
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        *legend,
    ]
    for i, (label, values) in enumerate(rows):
        y = legend_h + 4 + i * ROW
        total = sum(values)
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
        )
        offset = 0.0
        for k, value in enumerate(values):
            if not total or not value:
                continue
            w = value / total * BAR_W
            parts.append(
                f'<rect x="{LABEL_W + offset:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(series[k])}: '
                f"{int(value)}</title></rect>"
            )
            offset += w
        parts.append(
            f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 17}" class="chart-value">n = {int(total)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def ranges(rows: Sequence[tuple[str, float, float, float]], title: str) -> Markup:
    """Min–max line with a median mark per row, on a 0–100 scale (maturity spread)."""
    if not rows:
        return Markup("")
    height = ROW * len(rows) + 28
    width = LABEL_W + BAR_W + VALUE_W + 40
    scale = BAR_W / 100
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in (0, 25, 50, 75, 100):
        x = LABEL_W + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{height - 20}" class="chart-grid"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="chart-legend">{tick}</text>'
        )
    for i, (label, low, mid, high) in enumerate(rows):
        y = 4 + i * ROW + ROW / 2
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 5}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
            f'<line x1="{LABEL_W + low * scale:.1f}" y1="{y}" x2="{LABEL_W + high * scale:.1f}" '
            f'y2="{y}" stroke="{PALETTE[2]}" stroke-width="6"/>'
            f'<rect x="{LABEL_W + mid * scale - 3:.1f}" y="{y - 8}" width="6" height="16" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 5}" class="chart-value">'
            f"{low:.0f} / {mid:.0f} / {high:.0f}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
