"""BPX both ways (cellmodel/bpx.py): the chain's electrode written, validated by ``bpx`` and loaded
by PyBaMM with its geometry intact; a BPX file driving the half-cell."""
import json
import warnings

import numpy as np
import pytest

import celltwin as ct
from celltwin.cellmodel import HalfCellContainer
from celltwin.cellmodel.bpx import read_bpx, validate_bpx, write_bpx
from celltwin.platform.errors import ParameterError

pytestmark = pytest.mark.filterwarnings("ignore")   # PyBaMM's and bpx's deprecation notices

STRUCTURE_KEYS = ("eps_cal", "h_cal", "m_dry", "w_AM", "X_AM", "X_CA", "X_PB")


@pytest.fixture(scope="module")
def chain_values():
    sc = ct.Scenario.load("reference-cathode")
    values = {k: float(v) for k, v in sc.build_chain(with_cell=False).evaluate(sc.nominal()).items()}
    return {**values, "kappa_s_eff": 24.5, "tau_e": 1.78}   # the structure surrogate's outputs, as numbers


@pytest.mark.parametrize("parameter_set", ["table-a2", "Chen2020"])
def test_round_trip_keeps_the_chain_s_geometry(chain_values, parameter_set, tmp_path):
    path = write_bpx(tmp_path / "cell.json", chain_values, parameter_set)
    validate_bpx(path)
    header = json.loads(path.read_text())["Header"]
    assert "from the celltwin process chain" in header["Description"] and "Chen2020" in header["Description"]
    pv = read_bpx(path)
    assert pv["Positive electrode thickness [m]"] == pytest.approx(chain_values["h_cal"] * 1e-6, rel=1e-12)
    assert pv["Positive electrode porosity"] == pytest.approx(chain_values["eps_cal"], rel=1e-12)
    assert pv["Positive electrode active material volume fraction"] == pytest.approx(chain_values["X_AM"], rel=1e-12)


def test_a_bpx_file_drives_the_half_cell(chain_values, tmp_path):
    path = write_bpx(tmp_path / "cell.json", chain_values, "Chen2020")
    s = {k: np.asarray(chain_values[k]) for k in STRUCTURE_KEYS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_set = HalfCellContainer(tortuosity="bruggeman", parameter_set="Chen2020").evaluate(s)
        from_bpx = HalfCellContainer(tortuosity="bruggeman", bpx=str(path)).evaluate(s)
    assert float(from_bpx["capacity"]) > 0
    # the same positive electrode, tabulated: the discharge agrees with the set's
    assert float(from_bpx["capacity"]) == pytest.approx(float(from_set["capacity"]), rel=1e-6)


def test_bpx_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ParameterError, match="is not valid BPX") as info:
        read_bpx(bad)
    assert info.value.parameter == "bpx"
    with pytest.raises(ParameterError, match="is not a BPX file"):
        HalfCellContainer(bpx=str(tmp_path / "missing.json"))
    with pytest.raises(ParameterError, match="give parameter_set or bpx, not both"):
        HalfCellContainer(bpx=str(bad), parameter_set="Chen2020")


def test_cell_bpx_in_a_scenario_drives_its_half_cell(chain_values, tmp_path):
    """[cell] bpx = "cell.json" (relative to the scenario file) replaces the parameter set."""
    import tomli_w

    write_bpx(tmp_path / "cell.json", chain_values, "Chen2020")
    data = ct.Scenario.load("reference-cathode").to_dict()
    data["containers"]["half-cell"] = {"tortuosity": "bruggeman"}
    data["materials"] = {"AM": "NMC811"}
    data["parameters"]["rho_AM"] = 4.78
    data["cell"] = {"bpx": "cell.json"}
    path = tmp_path / "line.toml"
    path.write_text(tomli_w.dumps(data))
    sc = ct.Scenario.load(path)
    assert sc.container_options["half-cell"]["bpx"] == str(tmp_path / "cell.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sc.build_chain().evaluate(sc.nominal())
    assert 0 < float(out["capacity"]) < float(out["capacity_theoretical"])
    # a BPX file is not in the library's table of sets: not checked against NMC811, and said so
    assert any("does not record which active material BPX file" in n["message"] for n in sc.report_notes())
