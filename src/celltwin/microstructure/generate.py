"""Stochastic 3D voxel microstructures of a calendered cathode: active particles, CBD, pores.

The active material (AM) is a random sequential addition of polydisperse spheres whose
radii are the size classes of the DEM drying model (:func:`celltwin.metamodels.particles.size_classes`,
median 5.5 µm, log-normal spread 0.25); calendering presses particles into each other, so
a new sphere may overlap its neighbours up to ``max_overlap`` of the radius sum. The
carbon-binder domain (CBD) is then grown from the particle surfaces into the pore space,
first where two particles are close (necks), until its volume fraction is reached.

Bookkeeping: ``X_CBD`` is the *solid* volume fraction of carbon and binder (X_CA + X_PB in
the chain). The CBD domain holds nanopores of porosity ``eps_nano`` (~50 %, seed 000,
Lombardo et al. 2021), so it fills ``X_CBD / (1 - eps_nano)`` of the box and the total
porosity eps_cal = macro pores + eps_nano * CBD domain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..metamodels.particles import size_classes
from ..platform.errors import ParameterError

#: phase labels of a voxel image
PORE, AM, CBD = 0, 1, 2
#: nanoporosity of the carbon-binder domain (seed 000: "a (solid) CBD nanoporosity of ~50 %")
EPS_NANO = 0.5
#: log-normal spread of the NMC radius (the DEM drying model's default)
LOG_STD = 0.25


@dataclass(frozen=True)
class Recipe:
    """What a structure is made of: porosity, solid CBD fraction, particle radius, nanoporosity."""

    porosity: float = 0.315
    x_cbd: float = 0.101
    radius: float = 5.5            # µm, median AM radius
    eps_nano: float = EPS_NANO
    log_std: float = LOG_STD

    @property
    def x_am(self) -> float:
        return 1.0 - self.porosity - self.x_cbd

    @property
    def cbd_domain(self) -> float:
        """Volume fraction of the CBD domain (solid plus its nanopores)."""
        return self.x_cbd / (1.0 - self.eps_nano)

    def check(self) -> None:
        """Refuse recipes that cannot be built (no macro pores, no active material)."""
        for name, v, lo, hi in (("eps_cal", self.porosity, 0.0, 1.0), ("X_CBD", self.x_cbd, 0.0, 1.0),
                                ("eps_nano", self.eps_nano, 0.0, 1.0)):
            if not lo < v < hi:
                raise ParameterError(f"{name} = {v:g} (unit 1) is outside the valid range ({lo:g}, {hi:g})",
                                     parameter=name, value=v, unit="1", valid=f"({lo:g}, {hi:g})")
        if self.x_am <= 0:
            raise ParameterError(f"X_AM = 1 - eps_cal - X_CBD = {self.x_am:g} must be > 0", parameter="X_AM",
                                 value=self.x_am, unit="1", valid="(0, 1)")
        macro = 1.0 - self.x_am - self.cbd_domain
        if macro <= 0:
            raise ParameterError(f"macro-pore fraction eps_cal - X_CBD*eps_nano/(1-eps_nano) = {macro:g} must be > 0: "
                                 "the CBD's nanopores alone exceed the porosity", parameter="eps_cal",
                                 value=self.porosity, unit="1", valid=f"({self.porosity - macro:g}, 1)")
        if self.radius <= 0:
            raise ParameterError(f"particle radius R_p = {self.radius:g} um is outside the valid range (0, inf)",
                                 parameter="R_p", value=self.radius, unit="um", valid="(0, inf)")


@dataclass(frozen=True)
class Grid:
    """Voxel grid: ``n`` voxels per side, ``voxels_per_radius`` voxels across the median radius."""

    n: int = 96
    voxels_per_radius: float = 6.0
    max_overlap: float = 0.2

    def voxel_size(self, recipe: Recipe) -> float:
        """Voxel edge in µm."""
        return recipe.radius / self.voxels_per_radius


def _ball(r: float) -> tuple[np.ndarray, int]:
    k = int(np.ceil(r))
    g = np.arange(-k, k + 1)
    return (g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2) <= r * r, k


def _stamp(img: np.ndarray, centre: np.ndarray, r: float) -> None:
    """Set the voxels of a sphere (periodic box)."""
    ball, k = _ball(r)
    idx = [np.arange(int(round(c)) - k, int(round(c)) + k + 1) % img.shape[0] for c in centre]
    img[np.ix_(*idx)] |= ball


def particles(recipe: Recipe, grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Boolean AM image: spheres added at random until the voxel fraction reaches X_AM.

    Radii are drawn from the five equally populated classes of the DEM model. A candidate
    is rejected when it overlaps a placed sphere by more than ``max_overlap`` of the radius
    sum (centre distance < (1 - max_overlap)(r_i + r_j), periodic); after many rejections
    the allowed overlap grows, so dense recipes are still reached.
    """
    n = grid.n
    radii_vox = size_classes(grid.voxels_per_radius, recipe.log_std, 5)
    img = np.zeros((n, n, n), dtype=bool)
    centres, rads = np.empty((0, 3)), np.empty(0)
    target = recipe.x_am * n**3
    filled, overlap, fails = 0, grid.max_overlap, 0
    while filled < target:
        r = float(rng.choice(radii_vox))
        c = rng.uniform(0, n, 3)
        if len(rads):
            d = np.abs(centres - c)
            d = np.minimum(d, n - d)
            if np.any(np.sqrt((d**2).sum(axis=1)) < (1.0 - overlap) * (rads + r)):
                fails += 1
                if fails > 2000:
                    overlap, fails = min(overlap + 0.05, 0.9), 0
                continue
        _stamp(img, c, r)
        centres, rads = np.vstack([centres, c]), np.append(rads, r)
        filled = int(img.sum())
        fails = 0
    return img


def grow_cbd(am: np.ndarray, fraction: float, radius: float) -> np.ndarray:
    """Boolean CBD image: pore voxels filled in order of the morphological closing that reaches them.

    A pore voxel inside the closing of the AM with a ball of radius r lies in a neck or
    crevice narrower than r; ranking voxels by the smallest such r (then by distance to the
    AM) fills the contacts between particles first and then grows films from the surfaces,
    as binder and carbon collect where the solvent leaves last (seed 000). Radii are tried
    up to the median particle radius (``radius``, voxels); the lowest ranks become CBD
    until ``fraction`` of the box is filled.
    """
    pore = ~am
    dist = ndimage.distance_transform_edt(np.pad(pore, 1, mode="wrap"))[1:-1, 1:-1, 1:-1]
    rank = np.full(am.shape, np.inf)
    for r in np.linspace(1.0, radius, 8):
        far = np.pad(dist > r, 1, mode="wrap")
        closed = ndimage.distance_transform_edt(~far)[1:-1, 1:-1, 1:-1] > r
        rank[closed & pore & np.isinf(rank)] = r
    score = np.where(pore, np.where(np.isfinite(rank), rank, radius + 1.0) + 1e-3 * dist, np.inf).ravel()
    k = int(round(fraction * am.size))
    cbd = np.zeros(am.size, dtype=bool)
    if k > 0:
        cbd[np.argpartition(score, k - 1)[:k]] = True
    return cbd.reshape(am.shape)


def generate(recipe: Recipe, grid: Grid = Grid(), seed: int = 0) -> np.ndarray:
    """A labelled image (uint8, :data:`PORE`, :data:`AM`, :data:`CBD`) of one random structure."""
    recipe.check()
    if grid.n < 8 or grid.voxels_per_radius <= 0:
        raise ParameterError(f"voxel grid n = {grid.n}, voxels_per_radius = {grid.voxels_per_radius} "
                             "must be >= 8 and > 0", parameter="grid", value=grid.n, valid="n >= 8")
    am = particles(recipe, grid, np.random.default_rng(seed))
    # place exactly the CBD domain the recipe needs, counted against the AM actually drawn
    cbd = grow_cbd(am, recipe.cbd_domain, grid.voxels_per_radius)
    img = np.zeros(am.shape, dtype=np.uint8)
    img[am] = AM
    img[cbd] = CBD
    return img


def fractions(img: np.ndarray, eps_nano: float = EPS_NANO) -> dict[str, float]:
    """Volume fractions of an image in the chain's bookkeeping: eps_cal, X_AM, X_CBD (solid), pore, cbd domain."""
    f = {p: float(np.mean(img == p)) for p in (PORE, AM, CBD)}
    return {"eps_cal": f[PORE] + eps_nano * f[CBD], "X_AM": f[AM], "X_CBD": (1.0 - eps_nano) * f[CBD],
            "pore": f[PORE], "cbd_domain": f[CBD]}
