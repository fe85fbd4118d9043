"""Charts for the console, drawn on the server as SVG by pygal and shown as images.

Each chart comes in two sizes: wide, and drawn for a phone (``?size=phone``, chosen by the
page's ``<picture>``, ``console/_chart.html``), so its words are as large as the page's on a
360 px screen instead of shrunk.

Readable without colour: every series has its own line pattern (solid, dashed, dotted) and shows
its values as numbers, and every page that shows a chart also has the same numbers as a table,
which is what a screen reader reads. The image's own ``<style>`` is the only inline style the
console allows, and only in the chart's response: an SVG shown by ``<img>`` runs no script.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from flask import Response, has_request_context, request

if TYPE_CHECKING:
    from pygal.style import Style


@cache
def _style() -> Style:
    """The console's ink and its two accents; a series is told apart by its pattern first.

    pygal (with its XML and SVG machinery) is imported when the first chart is drawn, not by
    every web process that serves the console."""
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#1f2328",
        foreground_strong="#1f2328",
        foreground_subtle="#6e7781",
        colors=("#0b5cad", "#8a3b00", "#1a7f37", "#6639ba"),
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        value_font_size=13,
        legend_font_size=14,
        title_font_size=16,
        stroke_width=3,
        guide_stroke_color="#d8dee4",
        guide_stroke_dasharray="1,0",
        major_guide_stroke_color="#d8dee4",
        major_guide_stroke_dasharray="1,0",
    )


PATTERNS = ("", "9,5", "2,4", "12,4,2,4")
# The legend's boxes are colour only: the pattern is drawn in the series' name as well.
PATTERN_MARKS = ("━━", "╺╸╺╸", "┈┈┈", "━╺╸━")
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    labels: int  # at most this many x labels; the others are left out (the table has every one)
    font: int


SIZES = {"wide": Size(720, 360, 14, 13), "phone": Size(340, 320, 5, 14)}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no value there (the line has a gap)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, y_range: tuple[float, float] | None = None) -> str:
    """A line chart of ``series`` over ``labels``, one pattern per series, values printed (when
    there is room for them), in the size the request asks for."""
    import pygal

    size = SIZES.get(request.args.get("size", "") if has_request_context() else "", SIZES["wide"])
    base = _style()
    style = base.__class__(**{**base.__dict__, **dict.fromkeys(("label_font_size", "major_label_font_size", "value_font_size"), size.font)})
    chart = pygal.Line(
        style=style,
        width=size.width,
        height=size.height,
        js=(),
        disable_xml_declaration=True,
        print_values=len(labels) <= size.labels * 2,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if size.width < 500 else None,
        legend_box_size=20,
        x_label_rotation=0,
        x_labels_major_every=max(1, math.ceil(len(labels) / size.labels)),
        show_minor_x_labels=False,
        truncate_label=-1,
        dots_size=4,
        range=y_range,
        allow_interruptions=True,
        no_data_text="",
        margin_right=24,
    )
    chart.title = title
    chart.x_labels = list(labels)
    for index, one in enumerate(series):
        pattern = PATTERNS[index % len(PATTERNS)]
        name = f"{one.name} {PATTERN_MARKS[index % len(PATTERNS)]}" if len(series) > 1 else one.name
        chart.add(name, list(one.values), stroke_style={"width": 3, "dasharray": pattern} if pattern else {"width": 3})
    rendered: str = chart.render(is_unicode=True)
    return rendered


def svg_response(svg: str) -> Response:
    response = Response(svg, content_type="image/svg+xml; charset=utf-8")
    response.headers["Content-Security-Policy"] = CHART_POLICY
    return response
