"""The example notebooks run from top to bottom (nbclient, the python3 kernel of this environment),
and the values they show are the library's: a notebook that stops on an error fails here."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return book


def outputs(book: nbformat.NotebookNode) -> str:
    """Every text and HTML output of the executed notebook, joined."""
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def test_the_notebooks_are_the_two_examples():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == ["inverse-and-yield.ipynb", "scenario-study.ipynb"]


@pytest.mark.parametrize("name", ["scenario-study.ipynb", "inverse-and-yield.ipynb"])
def test_notebook_is_stored_without_outputs(name):
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(book)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in book.cells if c.cell_type == "code")


def test_scenario_study_notebook_runs(tmp_path):
    text = outputs(run("scenario-study.ipynb", tmp_path))
    assert "ElectrodeScenario reference-cathode" in text  # the scenario's short HTML view
    assert "Study('reference-cathode': 60 samples" in text
    assert "mA*h/cm^2" in text and "g/cm^3" in text and "N/mm" in text  # units shown with the numbers


def test_inverse_and_yield_notebook_runs(tmp_path):
    text = outputs(run("inverse-and-yield.ipynb", tmp_path))
    assert "is unreachable" in text and "closest" in text
    assert "'allowed joint' is 0" in text and "not analysed" in text
    assert "best reachable yield with q_L free" in text
    assert "capacity >= 2.0 mA*h/cm^2" in text
