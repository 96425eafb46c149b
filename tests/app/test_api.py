"""POST /api/whatif against `celltwin chain --set`, and the refusals of untrusted input."""
import json
import math

import pytest
from typer.testing import CliRunner

from celltwin.cli import app as cli


def post(web, body):
    client = web.server.test_client()
    res = client.post("/api/whatif", data=json.dumps(body), content_type="application/json")
    return res.status_code, res.get_json()


@pytest.mark.parametrize("sets", [{"q_L": 90.0}, {"q_L": 70.0, "x_solids": 0.68}])
def test_whatif_equals_chain_set(web, sets):
    status, body = post(web, {"scenario": "reference-cathode", "set": sets})
    assert status == 200
    args = ["chain", "reference-cathode", "--json"] + [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    expected = json.loads(out.stdout[out.stdout.index("{"):])
    assert set(body["nominal"]) == set(expected)
    for name, value in expected.items():
        assert body["nominal"][name] == pytest.approx(value, rel=1e-9, abs=1e-300), name
    assert body["units"]["rho_cal"] == "g/cm^3"
    y = body["yield"]
    assert 0 <= y["yield_low"] <= y["yield"] <= y["yield_high"] <= 1
    assert y["samples"] == 4000 and "Monte Carlo, 4000 samples" in y["method"]
    assert y["scrap"] == pytest.approx(1 - y["yield"], abs=1e-12)


def test_yield_moves_with_the_line_load(web):
    """rho_cal's window is 2.95 +- 2 %: a line load far above the nominal pushes most samples out."""
    _, low = post(web, {"scenario": "reference-cathode", "set": {"q_L": 84}})
    _, high = post(web, {"scenario": "reference-cathode", "set": {"q_L": 120}})
    assert high["nominal"]["rho_cal"] > low["nominal"]["rho_cal"] + 0.1
    assert high["yield"]["yield"] < low["yield"]["yield"] - 0.3


def test_refusals_carry_the_catalog_message(web):
    import celltwin as ct

    entry = ct.Scenario.load("reference-cathode").catalog["q_L"]
    status, body = post(web, {"scenario": "reference-cathode", "set": {"q_L": -5}})
    assert status == 400
    assert body["error"] == entry.message(-5)
    assert (body["parameter"], body["unit"], body["valid"]) == ("q_L", "N/mm", "[0, 10000]")
    for bad, words in [({"scenario": "reference-cathode", "set": {"q_L": "abc"}}, "not a number"),
                       ({"scenario": "reference-cathode", "set": {"q_L": None}}, None),
                       ({"scenario": "../../etc/passwd", "set": {}}, "unknown scenario"),
                       ({"scenario": "reference-cathode", "set": {"rho_cal": 3.0}}, "not a setting"),
                       ({"scenario": "reference-cathode", "set": {"w_PB": 0.05}}, "not a setting"),
                       ({"scenario": "reference-cathode", "samples": 10**9}, "[1, 50000]"),
                       ({"scenario": "reference-cathode", "path": "/etc/passwd"}, "unknown request key"),
                       (["reference-cathode"], "JSON object")]:
        status, body = post(web, bad)
        if words is None:  # null = "as in the scenario"
            assert status == 200
            continue
        assert status == 400, bad
        assert words in body["error"], body
    res = web.server.test_client().post("/api/whatif", data="not json", content_type="text/plain")
    assert res.status_code == 400
    status, body = post(web, {"scenario": "reference-cathode", "set": {"q_L": math.inf}})
    assert status == 400 and "finite" in body["error"]
