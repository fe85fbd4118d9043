"""The console's charts: pygal SVG, a pattern per series (readable without colour), and a size
drawn for a phone so its words stay readable at 360 px."""
from __future__ import annotations

from xml.etree import ElementTree

from flask import Flask

from bot.console.charts import Series, line_chart

LABELS = [f"{day}. okt" for day in range(1, 14)]
SERIES = [Series("Sagde ja", [3, 4, 5, 4, 3, 5, 6, 4, 3, 5, 4, 6, 5]), Series("Kom", [2, 3, 4, 4, 2, 4, 5, 3, 3, 4, 3, 5, None])]


def drawn(query: str) -> ElementTree.Element:
    with Flask(__name__).test_request_context(f"/chart.svg{query}"):
        return ElementTree.fromstring(line_chart("Fremmøde", LABELS, SERIES, y_range=(0, 7)))


def texts(svg: ElementTree.Element, kind: str | None) -> list[str]:
    """The texts of a class, or (None) of none."""
    def chosen(node) -> bool:
        return kind in node.get("class", "").split() if kind else not node.get("class")

    return ["".join(node.itertext()).strip() for node in svg.iter() if node.tag.endswith("}text") and chosen(node)]


def dates(svg: ElementTree.Element) -> list[str]:
    return [text for text in texts(svg, "major") if text.endswith("okt")]


def test_every_series_has_its_own_line_pattern_named_in_the_legend():
    svg = drawn("")
    assert svg.get("viewBox") == "0 0 720 360" and not any(node.tag.endswith("}script") and node.get("href") for node in svg.iter())
    style = "".join("".join(node.itertext()) for node in svg.iter() if node.tag.endswith("}style")).replace(" ", "")
    assert "dasharray:9,5" in style, "the second series is dashed"
    legend = [text for text in texts(svg, None) if text.startswith(("Sagde ja", "Kom"))]
    assert legend == ["Sagde ja ━━", "Kom ╺╸╺╸"], "the legend draws the pattern too, not only a colour"
    assert dates(svg) == LABELS and len(texts(svg, "value")) == 25, "every date, every value (a gap has none)"


def test_a_phone_gets_a_narrow_chart_with_fewer_labels_and_the_same_words_size():
    svg = drawn("?size=phone")
    assert svg.get("viewBox") == "0 0 340 320"
    assert dates(svg) == ["1. okt", "4. okt", "7. okt", "10. okt", "13. okt"], "every third date: the table has all"
