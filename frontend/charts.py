"""The Knowledge/Behavior/Status chart of one care-plan problem, as an SVG (pygal).

Drawn on the server: the page shows it as an <img> beside a table of the same
ratings, so nothing runs in the browser. pygal always writes a small configuration
<script> for its tooltips; it is taken out here (with ``js=[]`` no script is loaded
either), so the SVG is only shapes, text and its own <style>.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

import pygal
from pygal.style import Style

SVG = "{http://www.w3.org/2000/svg}"

# Kith's colours (kith.css), and a dash per line so the three read apart without colour.
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2328",
    foreground_strong="#1d2328",
    foreground_subtle="#d8dee3",
    opacity="1",
    opacity_hover="1",
    colors=("#1f6f5c", "#8a4b00", "#3b5bdb"),
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    label_font_size=17,
    major_label_font_size=17,
    legend_font_size=17,
    title_font_size=17,
)
LINES = [("Knowledge", "knowledge"), ("Behavior", "behavior"), ("Status", "status")]
# A width and a dash per line, so the three read apart without colour, and a line that
# runs on top of another (the same ratings) still shows the one beneath it. pygal sets
# every line's width by the chart's id; only !important outranks that from here.
LINE_CSS = (
    "inline:"
    ".serie-0 .line{stroke-width:7px!important}"
    ".serie-1 .line{stroke-width:4px!important;stroke-dasharray:12,6}"
    ".serie-2 .line{stroke-width:2.5px!important;stroke-dasharray:3,4}"
)


def scriptless(chart) -> bytes:
    """The chart's SVG without pygal's script (the pages run none of theirs)."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in (f"{SVG}script", "script"):
                parent.remove(child)
    ElementTree.register_namespace("", SVG[1:-1])
    return ElementTree.tostring(tree, encoding="utf-8")


def ratings_svg(ratings: Sequence, *, title: str = "") -> bytes:
    """A line per scale over the rating dates; y from 1 (worst) to 5 (best)."""
    chart = pygal.Line(
        style=STYLE,
        js=[],
        css=["file://style.css", "file://graph.css", LINE_CSS],
        tooltip_fancy_mode=False,
        disable_xml_declaration=True,
        width=480,
        height=300,
        range=(1, 5),
        y_labels=[1, 2, 3, 4, 5],
        show_minor_x_labels=False,
        x_labels_major_count=5,
        truncate_label=-1,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        dots_size=5,
        margin=10,
        margin_right=34,  # room for the last date, centred on the right edge
        spacing=12,
        show_y_guides=True,
        title=title or None,
        no_data_text="Not rated yet",
    )
    years = {r.rated_on.year for r in ratings}
    shape = "%-d %b" if len(years) <= 1 else "%b %Y"
    chart.x_labels = [r.rated_on.strftime(shape) for r in ratings]
    for name, attr in LINES:
        chart.add(name, [getattr(r, attr) for r in ratings])
    return scriptless(chart)


# --- published quality: one indicator of one team over its published periods ----------------

# Printed values sit just above their bars, in the page's ink (pygal centres them on
# the bar's end, by rules set on the chart's id: only !important outranks those).
QUALITY_CSS = "inline:.text-overlay text.value{fill:#1d2328!important;transform:translateY(-8px)}"


def quality_svg(points: Sequence[tuple[str, float | None, bool]], *, title: str, fmt) -> bytes:
    """A bar per published period (label, value, hidden), oldest first. A hidden
    ("fewer than 5") period gets no bar: its label is starred and the chart says why,
    so a gap is never read as zero. ``fmt`` writes a value as the page does."""
    hidden = any(h for _label, _value, h in points)
    values = [v for _label, v, _h in points if v is not None]
    low, high = min([*values, 0.0]), max([*values, 0.0])
    chart = pygal.Bar(
        style=STYLE,
        js=[],
        css=["file://style.css", "file://graph.css", QUALITY_CSS],
        disable_xml_declaration=True,
        width=480,
        height=320,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        value_formatter=fmt,
        range=(low * 1.2 if low < 0 else 0, high * 1.2 if high > 0 else 1),
        truncate_label=-1,
        x_label_rotation=30 if len(points) > 4 else 0,
        margin=10,
        spacing=10,
        title=title,
        x_title="* fewer than 5: hidden, not plotted" if hidden else None,
        no_data_text="Nothing published yet",
    )
    if points:
        chart.x_labels = [f"{label}*" if h else label for label, _v, h in points]
        chart.add(title, [v for _label, v, _h in points])
    return scriptless(chart)
