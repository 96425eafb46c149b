"""Particles for the DEM run (metamodels/particles.py): the wet film is placed without overlap and fits the box."""
from __future__ import annotations

import numpy as np

from celltwin.metamodels.particles import Formulation, build_particles, carbon_binder, place_random


def test_swollen_particles_are_placed_without_overlap_inside_the_wet_film():
    f = Formulation()
    rng = np.random.default_rng(0)
    p = build_particles(14.2, f, 30.0, 5.5, 0.25, 5, 1.5, carbon_binder(f, 0.5, 1.5), rng)
    r = p.radius(1.0)
    h = f.wet_thickness(14.2)
    pos = place_random(r, p.side, h, rng)
    assert np.all(pos[:, 2] - r >= 0) and np.all(pos[:, 2] + r <= h)
    d = pos[:, None, :] - pos[None, :, :]
    d[..., :2] -= p.side * np.round(d[..., :2] / p.side)
    gap = np.sqrt((d ** 2).sum(-1)) - r[:, None] - r[None, :]
    np.fill_diagonal(gap, 1.0)
    assert gap.min() > 0
    assert len(p.class_radii) == 5 and p.is_cbd.sum() > 10 * (~p.is_cbd).sum()
