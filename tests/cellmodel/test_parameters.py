"""Cell parameters (cellmodel/parameters.py): Table A2's rate constant in PyBaMM's units."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.cellmodel import parameters


def test_rate_constant_conversion():
    assert parameters.M_REF_TABLE_A2 == pytest.approx(96485.33212 * 1.1717e-9, rel=1e-15)
    j0 = parameters.exchange_current_table_a2(1000.0, 1.5467e4, 4.3221e4, 298.15)
    assert j0 == pytest.approx(1.1305e-4 * np.sqrt(1000 * 1.5467e4 * (4.3221e4 - 1.5467e4)), rel=1e-4)
    assert j0 == pytest.approx(74.1, rel=1e-3)
