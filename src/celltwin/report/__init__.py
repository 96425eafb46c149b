"""The report floor: the HTML report, the Sankey diagram, the chain graph and their shared
style. Importing it registers the study-folder writers (the Sankey as HTML and PNG, and
``report.html``) with :func:`celltwin.analysis.uq.study.artifact`."""
from __future__ import annotations

from pathlib import Path

from ..analysis.uq.study import Study, artifact
from . import sankey
from .html import write_report


@artifact
def _figures_and_report(study: Study, folder: Path) -> dict:
    fig = sankey.study_figure(study)
    paths = sankey.save(fig, folder)
    write_report(study, folder / "report.html", sankey_figure=fig)
    return {"sankey_png_renderer": paths["png_renderer"]}


__all__ = ["write_report", "sankey"]
