"""Charts drawn on the server as SVG (dashboards, statistics): no script, no library to fetch, readable on an old laptop and printable. Each chart has
a title for screen readers; the numbers are also in the tables beside them."""

from django.utils.html import format_html, format_html_join

WIDTH, ROW, LABEL = 640, 22, 240


def bars(title: str, rows: list[tuple[str, int | None]], *, suffix: str = "%", scale: int | None = 100):
    """Horizontal bars, one per (label, value); `scale` is the full width's value (None: the largest value)."""
    top = scale or max((value or 0 for _label, value in rows), default=0) or 1
    height = ROW * len(rows) + 4
    span = WIDTH - LABEL - 60

    def bar(index: int, label: str, value: int | None):
        y = index * ROW + 2
        width = 0 if value is None else max(1, round(span * min(value, top) / top)) if value else 0
        shown = "—" if value is None else f"{value}{suffix}"
        return format_html(
            '<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect x="{}" y="{}" width="{}" height="{}" class="bar"/>'
            '<text x="{}" y="{}" class="value">{}</text>',
            LABEL - 6, y + 15, label[:40], LABEL, y + 3, width, ROW - 6, LABEL + width + 4, y + 15, shown)

    body = format_html_join("", "{}", ((bar(i, label, value),) for i, (label, value) in enumerate(rows)))
    return format_html('<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%"><title>{}</title>{}</svg>', WIDTH, height, title,
                       body)


def columns(title: str, points: list[tuple[str, int | None]], *, suffix: str = "%", scale: int | None = 100):
    """Vertical columns over time, one per (label, value)."""
    top = scale or max((value or 0 for _label, value in points), default=0) or 1
    height, base = 180, 150
    step = (WIDTH - 40) / max(len(points), 1)

    def column(index: int, label: str, value: int | None):
        x = 20 + index * step
        tall = 0 if not value else max(1, round(120 * min(value, top) / top))
        shown = "—" if value is None else f"{value}{suffix}"
        return format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="bar"/><text x="{}" y="{}" text-anchor="middle" class="value">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" class="label">{}</text>',
            round(x + step * 0.15), base - tall, round(step * 0.7), tall, round(x + step / 2), base - tall - 4, shown,
            round(x + step / 2), base + 18, label)

    body = format_html_join("", "{}", ((column(i, label, value),) for i, (label, value) in enumerate(points)))
    return format_html('<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%"><title>{}</title>{}</svg>', WIDTH, height, title,
                       body)
