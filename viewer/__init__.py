"""Everything a person looks at: the scenario report and its charts, the 3D building scene with
live colouring, evacuation playback, 3D snapshots for reports and the web console.

A results folder becomes one self-contained HTML page (:func:`write_report`) whose charts are
matplotlib figures inlined as SVG (:mod:`viewer.charts`); nothing here loads from the network.
Each part is imported on first use, so a report or a chart does not start VTK, and the command
line's KPI table does not load matplotlib.
"""

__all__ = ["write_report", "render_report", "ReportError", "format_number", "figure_to_svg", "draw_chart",
           "RenderedChart", "BuildingScene", "STATUS_COLORS", "LiveView", "EvacuationPlayback", "EvacuationTracks",
           "report_snapshots", "translate"]

# Everything loads on first use: the report and its charts bring pandas and matplotlib, the 3D
# parts pyvista; the CLI's KPI table (viewer.tables) needs none of them.
_LAZY = {
    "write_report": "viewer.report", "render_report": "viewer.report", "ReportError": "viewer.report",
    "format_number": "viewer.report", "figure_to_svg": "viewer.charts", "draw_chart": "viewer.charts",
    "RenderedChart": "viewer.charts",
    "BuildingScene": "viewer.scene", "STATUS_COLORS": "viewer.scene", "LiveView": "viewer.live",
    "EvacuationPlayback": "viewer.playback", "EvacuationTracks": "viewer.playback",
    "report_snapshots": "viewer.snapshots", "translate": "viewer.i18n",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
