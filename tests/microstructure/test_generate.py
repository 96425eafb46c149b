"""Phase bookkeeping of the generated structures and refusals of impossible recipes."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from celltwin.microstructure.generate import AM, CBD, PORE, Grid, Recipe, fractions, generate
from celltwin.platform.errors import ParameterError

GRID = Grid(n=40, voxels_per_radius=5.0)


@pytest.mark.parametrize("recipe", [Recipe(), Recipe(porosity=0.40, x_cbd=0.06, radius=4.0),
                                    Recipe(porosity=0.25, x_cbd=0.14, radius=7.5)])
def test_voxel_fractions_reproduce_the_recipe(recipe):
    img = generate(recipe, GRID, seed=3)
    f = fractions(img, recipe.eps_nano)
    # the CBD domain is placed to the voxel; the AM overshoots by at most its last sphere
    last_sphere = 4 / 3 * np.pi * (GRID.voxels_per_radius * np.exp(2 * recipe.log_std)) ** 3 / img.size
    assert f["X_CBD"] == pytest.approx(recipe.x_cbd, abs=1.0 / img.size)
    assert 0 <= f["X_AM"] - recipe.x_am <= last_sphere
    assert f["eps_cal"] == pytest.approx(recipe.porosity, abs=last_sphere)
    assert set(np.unique(img)) <= {PORE, AM, CBD}


def test_cbd_sits_on_the_particles():
    img = generate(Recipe(), GRID, seed=1)
    am = img == AM
    touching = np.zeros_like(am)
    for axis in range(3):
        for shift in (1, -1):
            touching |= np.roll(am, shift, axis)
    # every CBD voxel is within a few voxels of a particle; most touch one directly
    assert np.mean(touching[img == CBD]) > 0.5


def test_same_seed_same_structure():
    assert np.array_equal(generate(Recipe(), GRID, seed=5), generate(Recipe(), GRID, seed=5))


@pytest.mark.parametrize("recipe, parameter", [(Recipe(porosity=1.2), "eps_cal"),
                                               (Recipe(porosity=0.5, x_cbd=0.6), "X_AM"),
                                               (Recipe(porosity=0.08, x_cbd=0.1), "eps_cal"),
                                               (Recipe(radius=-1.0), "R_p")])
def test_impossible_recipes_are_refused_with_fields(recipe, parameter):
    with pytest.raises(ParameterError) as info:
        generate(recipe, GRID)
    assert info.value.parameter == parameter
    assert pickle.loads(pickle.dumps(info.value)).parameter == parameter
