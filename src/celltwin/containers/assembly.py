"""Cell assembly and formation: two electrode lines joined into a stacked pouch cell.

Seed 002 (Table 10 and section 4.1.6) lists these steps: separation, z-stacking of anode,
separator, cathode, separator; electrolyte filling; formation, in which the SEI takes
lithium from the cathode's inventory. The containers here are the hand calculation of a
cell engineer, analytical and vectorized like the electrode steps, so every number they
give can be checked on paper (docs/full-cell.md does so for the built-in ``full-cell``).

The stack: ``n_layers`` double-coated cathode sheets of coated area ``A_el`` per side,
``n_layers + 1`` anode sheets of area ``f_overhang A_el`` (the outer two coated on the
inner side only, the rest on both), one separator sheet of the anode's area between each
facing pair (``2 n_layers``). Every cathode side faces an anode side, so the facing area
is ``A_cell = 2 n_layers A_el``. The parameters of one electrode are the line's own
(``cathode.m_dry``, ``anode.t_foil``); the line names are options.
"""
from __future__ import annotations

import numpy as np

from ..platform.catalog import qualified
from ..platform.container import Container
from ..platform.errors import first_offending
from ..platform.registry import containers

#: the lines a cell joins by default: positive and negative electrode
LINES = {"positive": "cathode", "negative": "anode"}


class CellContainer(Container):
    """Base of the containers after the electrode lines: the two lines' names are options."""

    options = dict(LINES)

    def __init__(self, components=None, **options):
        super().__init__(components, **options)
        self.pos, self.neg = self.settings["positive"], self.settings["negative"]

    def own(self, line: str, names: dict[str, str]) -> dict[str, str]:
        """``{line.name: unit}`` for the line's parameters this container reads."""
        return {qualified(line, k): u for k, u in names.items()}


#: what assembly reads of each electrode line (declared units: g, cm, mAh: no factors in the equations)
ELECTRODE_INPUTS = {"w_AM": "1", "m_dry": "g/cm^2", "q_AM": "mA*h/g", "h_cal": "cm", "eps_cal": "1",
                    "t_foil": "cm", "rho_foil": "g/cm^3"}


@containers.register
class Assembly(CellContainer):
    """Stacking and electrolyte filling of a pouch cell: areal capacities, N/P ratio, facing
    area, stack thickness, cell mass and volume.

    q_areal = w_AM m_dry q_AM per line; np_ratio = q_areal(negative) / q_areal(positive);
    A_cell = 2 n A_el; t_stack = n (t_foil+ + 2 h+) + (n - 1)(t_foil- + 2 h-) + 2 (t_foil- + h-)
    + 2 n t_sep; m_cell = coatings + foils + separators + f_el (pore volume) rho_el + m_housing;
    V_cell = A_pouch (t_stack + 2 t_pouch).
    """

    name = "assembly"

    def inputs(self):
        cell = {"A_el": "cm^2", "f_overhang": "1", "n_layers": "1", "t_sep": "cm", "eps_sep": "1",
                "rho_sep": "g/cm^3", "f_el": "1", "rho_el": "g/cm^3", "m_housing": "g", "A_pouch": "cm^2",
                "t_pouch": "cm"}
        return {**self.own(self.pos, ELECTRODE_INPUTS), **self.own(self.neg, ELECTRODE_INPUTS), **cell}

    def outputs(self):
        return {qualified(self.pos, "q_areal"): "mA*h/cm^2", qualified(self.neg, "q_areal"): "mA*h/cm^2",
                "np_ratio": "1", "A_cell": "cm^2", "t_stack": "cm", "m_cell": "g", "V_cell": "cm^3"}

    def constraints(self, inputs):
        n = np.asarray(inputs["n_layers"], dtype=float)
        bad = n != np.round(n)
        if not np.any(bad):
            return []
        return [(bad, f"n_layers = {first_offending(n, bad):g} (unit 1) must be a whole number of cathode sheets "
                      "(valid: 1, 2, 3, ...)")]

    def evaluate(self, x):
        def line(side):
            return {k: x[qualified(side, k)] for k in ELECTRODE_INPUTS}

        p, m = line(self.pos), line(self.neg)
        n, a_pos = x["n_layers"], x["A_el"]
        a_neg = x["f_overhang"] * a_pos                    # anode and separator sheets
        q_pos = p["w_AM"] * p["m_dry"] * p["q_AM"]         # mAh/cm^2
        q_neg = m["w_AM"] * m["m_dry"] * m["q_AM"]
        t_stack = (n * (p["t_foil"] + 2 * p["h_cal"]) + (n - 1) * (m["t_foil"] + 2 * m["h_cal"])
                   + 2 * (m["t_foil"] + m["h_cal"]) + 2 * n * x["t_sep"])
        sides = 2 * n                                      # coated sides per electrode, separator sheets
        coatings = sides * (a_pos * p["m_dry"] + a_neg * m["m_dry"])
        foils = n * a_pos * p["t_foil"] * p["rho_foil"] + (n + 1) * a_neg * m["t_foil"] * m["rho_foil"]
        separators = sides * a_neg * x["t_sep"] * (1 - x["eps_sep"]) * x["rho_sep"]
        pores = sides * (a_pos * p["h_cal"] * p["eps_cal"] + a_neg * m["h_cal"] * m["eps_cal"]
                         + a_neg * x["t_sep"] * x["eps_sep"])
        electrolyte = x["f_el"] * pores * x["rho_el"]
        return {qualified(self.pos, "q_areal"): q_pos, qualified(self.neg, "q_areal"): q_neg,
                "np_ratio": q_neg / q_pos, "A_cell": sides * a_pos, "t_stack": t_stack,
                "m_cell": coatings + foils + separators + electrolyte + x["m_housing"],
                "V_cell": x["A_pouch"] * (t_stack + 2 * x["t_pouch"])}


@containers.register
class Formation(CellContainer):
    """Formation: the SEI takes ``li_loss`` of the cathode's reversible capacity (the first-cycle
    loss), so the cell cycles capacity_balanced = A_cell min(q_pos (1 - li_loss), q_neg):
    the cathode's remaining lithium, or what the anode can hold when N/P < 1 - li_loss."""

    name = "formation"

    def inputs(self):
        return {qualified(self.pos, "q_areal"): "A*h/cm^2", qualified(self.neg, "q_areal"): "A*h/cm^2",
                "A_cell": "cm^2", "li_loss": "1"}

    def outputs(self):
        return {"capacity_balanced": "A*h"}

    def evaluate(self, x):
        q_pos, q_neg = x[qualified(self.pos, "q_areal")], x[qualified(self.neg, "q_areal")]
        return {"capacity_balanced": x["A_cell"] * np.minimum(q_pos * (1 - x["li_loss"]), q_neg)}
