"""The particle set of a wet film: active-material classes, carbon-black film and agglomerates.

Seed 004 §3.2: the active material is a particle size distribution discretised into
five classes; one third of the carbon-black volume coats the active particles as a
film, two thirds form monodisperse porous agglomerates whose inner porosity counts in
their volume. Here the binder joins the carbon film (the carbon-binder domain wets the
active particles), so every gram of dry solids is in some particle and the porosity
computed from masses and densities matches the packed volume.

Lengths are in µm, densities in g/cm^3 (= pg/µm^3, the LAMMPS ``micro`` unit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ..platform.errors import ParameterError, SolverError

#: mg/cm^2 divided by g/cm^3 gives 10 µm
MG_CM2_PER_G_CM3_IN_UM = 10.0


@dataclass(frozen=True)
class Formulation:
    """Dry composition and densities (Table A1 defaults): what the film is made of."""

    w_AM: float = 0.94
    w_CA: float = 0.03
    w_PB: float = 0.03
    rho_AM: float = 4.75
    rho_CA: float = 1.80
    rho_PB: float = 1.70
    rho_solvent: float = 1.03
    x_solids: float = 0.70

    @property
    def rho_solids(self) -> float:
        """Eq. 8, g/cm^3."""
        return 1.0 / (self.w_AM / self.rho_AM + self.w_CA / self.rho_CA + self.w_PB / self.rho_PB)

    @property
    def rho_slurry(self) -> float:
        """Eq. 9, g/cm^3."""
        return 1.0 / (self.x_solids / self.rho_solids + (1.0 - self.x_solids) / self.rho_solvent)

    def wet_thickness(self, m_wet: float) -> float:
        """h_wet in µm of a wet film of m_wet mg/cm^2 (eq. 11 solved for h)."""
        return m_wet / self.rho_slurry * MG_CM2_PER_G_CM3_IN_UM

    def solid_thickness(self, m_wet: float) -> float:
        """Thickness in µm the dry solids would have at zero porosity (eqs. 12-13)."""
        return m_wet * self.x_solids / self.rho_solids * MG_CM2_PER_G_CM3_IN_UM


def size_classes(median_radius: float, log_std: float, n_classes: int) -> np.ndarray:
    """Radii (µm) of ``n_classes`` equally populated classes of a log-normal number distribution.

    Each class is represented by the median of its slice of the distribution, so five
    classes of 20 % of the particles each reproduce the spread of the measured PSD.
    """
    if median_radius <= 0 or log_std < 0 or n_classes < 1:
        raise ParameterError(f"particle size distribution: median radius {median_radius} µm must be > 0, "
                             f"log_std {log_std} >= 0 and n_classes {n_classes} >= 1")
    q = (np.arange(n_classes) + 0.5) / n_classes
    return median_radius * np.exp(log_std * stats.norm.ppf(q))


def film_thickness(radii: np.ndarray, film_volume: float) -> float:
    """Uniform film thickness t (µm) such that sum 4/3 pi ((r+t)^3 - r^3) = film_volume."""
    if film_volume <= 0:
        return 0.0

    def excess(t):
        return float(np.sum(4.0 / 3.0 * np.pi * ((radii + t) ** 3 - radii ** 3))) - film_volume

    return float(optimize.brentq(excess, 0.0, float(radii.max())))


@dataclass
class ParticleSet:
    """Particles of one wet film, ready for placement.

    ``radius``, ``density`` (true, unscaled) and ``kind`` (0..n_classes-1 active classes,
    n_classes agglomerates) per particle; ``side`` of the square periodic cell (µm),
    chosen so that the particles hold exactly the dry mass of the loading.
    """

    radius: np.ndarray
    density: np.ndarray
    kind: np.ndarray
    side: float
    film: float
    class_radii: np.ndarray
    agglomerate_radius: float

    @property
    def volume(self) -> float:
        return float(np.sum(4.0 / 3.0 * np.pi * self.radius ** 3))

    @property
    def mass(self) -> float:
        return float(np.sum(4.0 / 3.0 * np.pi * self.radius ** 3 * self.density))


#: most particles a DEM drying run may hold (about 50x the reference run of 931, hours on 2 cores)
MAX_PARTICLES = 50_000


def estimated_particles(m_wet: float, formulation: Formulation, side: float, median_radius: float,
                        log_std: float, n_classes: int, agglomerate_radius: float,
                        agglomerate_porosity: float, film_fraction: float) -> int:
    """How many particles :func:`build_particles` would make, computed without making them."""
    f = formulation
    m_dry_um = m_wet * f.x_solids * MG_CM2_PER_G_CM3_IN_UM
    volumes = 4.0 / 3.0 * np.pi * size_classes(median_radius, log_std, n_classes) ** 3
    n_am = max(n_classes, round(m_dry_um * f.w_AM / f.rho_AM * side ** 2 / volumes.mean()))
    agg = f.rho_CA * (1.0 - agglomerate_porosity) * 4.0 / 3.0 * np.pi * agglomerate_radius ** 3
    return int(n_am + round((1.0 - film_fraction) * m_dry_um * f.w_CA * side ** 2 / agg))


def build_particles(m_wet: float, formulation: Formulation, side: float, median_radius: float,
                    log_std: float, n_classes: int, agglomerate_radius: float,
                    agglomerate_porosity: float, film_fraction: float,
                    rng: np.random.Generator) -> ParticleSet:
    """The particle set for a wet mass loading m_wet (mg/cm^2) in a cell of about ``side`` µm.

    The number of active particles is the one whose volume best fills the requested
    cell; the cell side is then adjusted so that the particle masses equal the dry
    loading exactly, and the carbon film takes whatever carbon the whole agglomerates
    leave, so no mass is lost to rounding.
    """
    f = formulation
    m_dry_um = m_wet * f.x_solids * MG_CM2_PER_G_CM3_IN_UM  # g/cm^3 * µm per unit area
    am_per_area = m_dry_um * f.w_AM / f.rho_AM              # µm^3 of AM per µm^2
    radii = size_classes(median_radius, log_std, n_classes)
    volumes = 4.0 / 3.0 * np.pi * radii ** 3
    n_am = max(n_classes, int(round(am_per_area * side ** 2 / volumes.mean())))
    counts = np.full(n_classes, n_am // n_classes)
    counts[rng.choice(n_classes, n_am % n_classes, replace=False)] += 1
    am_volume = float(np.sum(counts * volumes))
    area = am_volume / am_per_area
    cell = float(np.sqrt(area))

    ca_mass = m_dry_um * f.w_CA * area
    pb_mass = m_dry_um * f.w_PB * area
    agg_density = f.rho_CA * (1.0 - agglomerate_porosity)
    agg_volume = 4.0 / 3.0 * np.pi * agglomerate_radius ** 3
    n_agg = int(round((1.0 - film_fraction) * ca_mass / (agg_density * agg_volume)))
    film_ca = ca_mass - n_agg * agg_density * agg_volume
    if film_ca < 0:
        raise ParameterError(f"agglomerate radius {agglomerate_radius} µm is too large for a cell of "
                             f"{cell:.1f} µm: one agglomerate holds more carbon than the film")
    film_volume = film_ca / f.rho_CA + pb_mass / f.rho_PB
    core = np.repeat(radii, counts)
    t = film_thickness(core, film_volume)
    film_density = (film_ca + pb_mass) / film_volume if film_volume > 0 else 0.0
    outer = core + t
    am_density = (f.rho_AM * core ** 3 + film_density * (outer ** 3 - core ** 3)) / outer ** 3
    return ParticleSet(
        radius=np.concatenate([outer, np.full(n_agg, agglomerate_radius)]),
        density=np.concatenate([am_density, np.full(n_agg, agg_density)]),
        kind=np.concatenate([np.repeat(np.arange(n_classes), counts), np.full(n_agg, n_classes)]),
        side=cell, film=t, class_radii=radii, agglomerate_radius=agglomerate_radius)


def place_random(radius: np.ndarray, side: float, height: float, rng: np.random.Generator,
                 max_tries: int = 20000) -> np.ndarray:
    """Random non-overlapping positions (µm) in a cell periodic in x, y, between z = 0 and height.

    Random sequential addition, largest particles first (the small ones then find the
    gaps); every particle lies wholly inside ``0 <= z +- r <= height``.
    """
    order = np.argsort(-radius, kind="stable")
    pos = np.empty((len(radius), 3))
    placed_pos = np.empty((len(radius), 3))
    placed_r = np.empty(len(radius))
    n = 0
    for idx in order:
        r = radius[idx]
        if 2 * r > height:
            raise ParameterError(f"particle of radius {r:.2f} µm does not fit in a wet film of {height:.1f} µm")
        for _ in range(max_tries // 16):
            cand = np.column_stack([rng.uniform(0, side, 16), rng.uniform(0, side, 16),
                                    rng.uniform(r, height - r, 16)])
            if n == 0:
                ok = np.zeros(1, dtype=int)
            else:
                d = cand[:, None, :] - placed_pos[None, :n, :]
                d[..., :2] -= side * np.round(d[..., :2] / side)
                gap = np.sqrt(np.einsum("ijk,ijk->ij", d, d)) - placed_r[None, :n] - r
                ok = np.flatnonzero(np.all(gap > 0, axis=1))
            if ok.size:
                placed_pos[n] = cand[ok[0]]
                placed_r[n] = r
                pos[idx] = cand[ok[0]]
                n += 1
                break
        else:
            raise SolverError(f"could not place particle {n + 1} of {len(radius)} (radius {r:.2f} µm) "
                              f"without overlap after {max_tries} tries; the wet film is too dense")
    return pos
