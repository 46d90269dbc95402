"""Everything a person looks at: the scenario report, its charts, and (later) the 3D building,
live colouring, evacuation playback and the web console.

A results folder becomes one self-contained HTML page (:func:`write_report`) whose charts are
matplotlib figures inlined as SVG (:mod:`viewer.charts`); nothing here loads from the network.
"""

from viewer.charts import RenderedChart, draw_chart, figure_to_svg
from viewer.report import ReportError, format_number, render_report, write_report

__all__ = ["write_report", "render_report", "ReportError", "format_number", "figure_to_svg", "draw_chart",
           "RenderedChart"]
