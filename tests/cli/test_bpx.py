"""``celltwin bpx``: the scenario's electrode (nominal or a Monte Carlo sample) as a BPX file."""
import json

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cellmodel.bpx import read_bpx
from celltwin.cli import app

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    """The reference cathode with a closed-form tortuosity (independent of the structure surrogate's data)."""
    import tomli_w

    data = ct.Scenario.load("reference-cathode").to_dict()
    data["containers"].setdefault("half-cell", {})["tortuosity"] = "bruggeman"
    path = tmp_path_factory.mktemp("bpx") / "line.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.mark.parametrize("sample", [None, 3])
def test_writes_the_chain_s_electrode(scenario_file, tmp_path, sample):
    out = tmp_path / "cell.json"
    args = ["bpx", str(scenario_file), "-o", str(out), "--json"] + ([] if sample is None else ["--sample", "3"])
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    sc = ct.Scenario.load(scenario_file)
    inputs = sc.nominal() if sample is None else \
        {k: float(v) for k, v in sc.sample(4).iloc[3].items() if k != "segment"}
    chain = sc.build_chain(with_cell=False).evaluate(inputs)
    pv = read_bpx(out)
    assert pv["Positive electrode thickness [m]"] == pytest.approx(float(chain["h_cal"]) * 1e-6, rel=1e-12)
    assert pv["Positive electrode porosity"] == pytest.approx(float(chain["eps_cal"]), rel=1e-12)
    assert pv["Positive electrode active material volume fraction"] == pytest.approx(float(chain["X_AM"]), rel=1e-12)
    assert record["sample"] == sample


def test_a_scenario_without_cell_is_refused(tmp_path):
    res = CliRunner().invoke(app, ["bpx", "graphite-anode", "-o", str(tmp_path / "x.json")])
    assert res.exit_code == 2 and "has no cell model" in res.stderr
