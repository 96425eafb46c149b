"""The particle set of a wet film: active-material classes and carbon-binder-domain particles.

Seed 004 §3.2: the active material is a particle size distribution discretised into
five classes. The carbon black and the binder form the carbon-binder domain (CBD), here
monodisperse porous particles swollen by solvent (seed 000, Lombardo et al. 2021; see
:mod:`.cbd`), so every gram of dry solids is in some particle and the overall porosity
computed from masses and densities (eq. 13) matches the packed volume.

Lengths are in µm, densities in g/cm^3 (= pg/µm^3, the LAMMPS ``micro`` unit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..platform.errors import ParameterError, SolverError
from .cbd import CarbonBinderDomain

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


@dataclass
class ParticleSet:
    """Particles of one wet film, ready for placement.

    ``dry_radius`` per particle (AM: its radius; CBD: its dry envelope radius), ``kind``
    (0..n_classes-1 active classes, n_classes the CBD); ``side`` of the square periodic
    cell (µm), chosen so that the particles hold exactly the dry mass of the loading.
    """

    dry_radius: np.ndarray
    kind: np.ndarray
    side: float
    class_radii: np.ndarray
    cbd_radius: float
    cbd: CarbonBinderDomain
    rho_AM: float

    @property
    def n_classes(self) -> int:
        return len(self.class_radii)

    @property
    def is_cbd(self) -> np.ndarray:
        return self.kind == self.n_classes

    @property
    def am_volume(self) -> float:
        return float(np.sum(4.0 / 3.0 * np.pi * self.dry_radius[~self.is_cbd] ** 3))

    @property
    def cbd_envelope_volume(self) -> float:
        """Dry envelope volume of all CBD particles (solid + nanopores), µm^3."""
        return float(np.sum(4.0 / 3.0 * np.pi * self.dry_radius[self.is_cbd] ** 3))

    @property
    def solid_mass(self) -> float:
        """Dry mass (AM + carbon + binder), pg: what the loading prescribes."""
        return self.rho_AM * self.am_volume + float(np.sum(self.cbd.solid_mass(self.dry_radius[self.is_cbd])))

    def radius(self, solvent_left: float) -> np.ndarray:
        """Radii (µm) with the CBD swollen by a fraction ``solvent_left`` of its swelling solvent."""
        r = self.dry_radius.copy()
        r[self.is_cbd] = self.cbd.wet_radius(self.cbd_radius, solvent_left)
        return r


#: most particles a DEM drying run may hold (hours on 2 cores)
MAX_PARTICLES = 50_000


def carbon_binder(formulation: Formulation, nanoporosity: float, swelling: float) -> CarbonBinderDomain:
    f = formulation
    return CarbonBinderDomain(f.w_CA, f.w_PB, f.rho_CA, f.rho_PB, nanoporosity, swelling)


def _counts(m_wet, f, side, median_radius, log_std, n_classes, cbd_radius, cbd):
    m_dry_um = m_wet * f.x_solids * MG_CM2_PER_G_CM3_IN_UM  # g/cm^3 * µm per unit area
    radii = size_classes(median_radius, log_std, n_classes)
    volumes = 4.0 / 3.0 * np.pi * radii ** 3
    n_am = max(n_classes, int(round(m_dry_um * f.w_AM / f.rho_AM * side ** 2 / volumes.mean())))
    n_cbd = max(1, int(round(m_dry_um * (f.w_CA + f.w_PB) * side ** 2 / float(cbd.solid_mass(cbd_radius)))))
    return radii, volumes, n_am, n_cbd, m_dry_um


def estimated_particles(m_wet: float, formulation: Formulation, side: float, median_radius: float,
                        log_std: float, n_classes: int, cbd_radius: float, cbd: CarbonBinderDomain) -> int:
    """How many particles :func:`build_particles` would make, computed without making them."""
    _, _, n_am, n_cbd, _ = _counts(m_wet, formulation, side, median_radius, log_std, n_classes, cbd_radius, cbd)
    return n_am + n_cbd


def build_particles(m_wet: float, formulation: Formulation, side: float, median_radius: float,
                    log_std: float, n_classes: int, cbd_radius: float, cbd: CarbonBinderDomain,
                    rng: np.random.Generator) -> ParticleSet:
    """The particle set for a wet mass loading m_wet (mg/cm^2) in a cell of about ``side`` µm.

    The number of active particles is the one whose volume best fills the requested cell;
    the cell side is then adjusted so that the AM mass equals its share of the dry loading
    exactly, and the CBD dry radius is adjusted (by well under 1 %) so that the whole number
    of CBD particles carries exactly the carbon and binder, so no mass is lost to rounding.
    """
    f = formulation
    radii, volumes, n_am, n_cbd, m_dry_um = _counts(m_wet, f, side, median_radius, log_std, n_classes,
                                                    cbd_radius, cbd)
    counts = np.full(n_classes, n_am // n_classes)
    counts[rng.choice(n_classes, n_am % n_classes, replace=False)] += 1
    am_volume = float(np.sum(counts * volumes))
    area = am_volume / (m_dry_um * f.w_AM / f.rho_AM)
    cbd_mass = m_dry_um * (f.w_CA + f.w_PB) * area
    r_cbd = float((cbd_mass / n_cbd / (cbd.envelope_density * 4.0 / 3.0 * np.pi)) ** (1.0 / 3.0))
    return ParticleSet(
        dry_radius=np.concatenate([np.repeat(radii, counts), np.full(n_cbd, r_cbd)]),
        kind=np.concatenate([np.repeat(np.arange(n_classes), counts), np.full(n_cbd, n_classes)]),
        side=float(np.sqrt(area)), class_radii=radii, cbd_radius=r_cbd, cbd=cbd, rho_AM=f.rho_AM)


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
