"""Suite-wide isolation: runs are recorded in a temporary run store, never in ~/.celltwin."""
import pytest


@pytest.fixture(autouse=True)
def _isolated_run_store(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CELLTWIN_HOME", str(tmp_path_factory.mktemp("celltwin-home")))


def given_drying(sc):
    """The reference cathode with the measured eps_dry = 0.439 (Table A1) instead of the DEM
    metamodel: known-answer tests whose analytic expectation holds eps_dry constant."""
    data = sc.to_dict()
    data["containers"]["drying"] = {"porosity": "given"}
    data["parameters"]["eps_dry"] = 0.439
    return type(sc).from_dict(data)


@pytest.fixture(scope="module")
def reference_given():
    import celltwin as ct

    return given_drying(ct.Scenario.load("reference-cathode"))


@pytest.fixture(scope="module")
def reference_given_toml(reference_given, tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "reference-given.toml"
    path.write_text(reference_given.to_toml())
    return path
