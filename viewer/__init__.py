"""Everything a person looks at: the scenario report and its charts, the 3D building scene with
live colouring, evacuation playback, 3D snapshots for reports and the web console.

A results folder becomes one self-contained HTML page (:func:`write_report`) whose charts are
matplotlib figures inlined as SVG (:mod:`viewer.charts`); nothing here loads from the network.
The 3D parts (pyvista) are imported on first use, so a report or a chart does not start VTK.
"""

from viewer.charts import RenderedChart, draw_chart, figure_to_svg
from viewer.report import ReportError, format_number, render_report, write_report

__all__ = ["write_report", "render_report", "ReportError", "format_number", "figure_to_svg", "draw_chart",
           "RenderedChart", "BuildingScene", "STATUS_COLORS", "LiveView", "EvacuationPlayback", "EvacuationTracks",
           "report_snapshots", "translate"]

_LAZY = {
    "BuildingScene": "viewer.scene", "STATUS_COLORS": "viewer.scene", "LiveView": "viewer.live",
    "EvacuationPlayback": "viewer.playback", "EvacuationTracks": "viewer.playback",
    "report_snapshots": "viewer.snapshots", "translate": "viewer.i18n",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
