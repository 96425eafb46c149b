"""Particles for the DEM run (metamodels/particles.py): the set carries the dry mass and fits the box."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.metamodels.particles import Formulation, build_particles, place_random


def test_particle_set_holds_the_dry_mass_and_fits():
    f = Formulation()
    rng = np.random.default_rng(0)
    p = build_particles(20.5, f, 60.0, 5.5, 0.25, 5, 1.5, 0.5, 1 / 3, rng)
    area = p.side ** 2
    # the particles carry exactly m_dry = m_wet * x_solids (mg/cm^2 -> pg/µm^2 is a factor 10)
    assert p.mass / area == pytest.approx(20.5 * f.x_solids * 10, rel=1e-9)
    assert len(p.class_radii) == 5 and p.film > 0
    pos = place_random(p.radius, p.side, f.wet_thickness(20.5), rng)
    assert np.all(pos[:, 2] - p.radius >= 0) and np.all(pos[:, 2] + p.radius <= f.wet_thickness(20.5))
    d = pos[:, None, :] - pos[None, :, :]
    d[..., :2] -= p.side * np.round(d[..., :2] / p.side)
    gap = np.sqrt((d ** 2).sum(-1)) - p.radius[:, None] - p.radius[None, :]
    np.fill_diagonal(gap, 1.0)
    assert gap.min() > 0
