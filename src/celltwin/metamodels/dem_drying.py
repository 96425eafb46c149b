"""DEM simulation of the first drying stage on LAMMPS (seed 004, §2.2.1 and §3.2).

Active-material spheres (five PSD classes, enlarged by the carbon-binder film) and
porous carbon-black agglomerates are placed at random in a box as tall as the wet
film, periodic in x and y, on a current-collector wall. The solvent acts through
Stokes drag (``fix viscous`` with gamma = 6 pi eta r per class) and the particles
stick through van der Waals cohesion in the JKR contact model. A plate standing
for the sinking film surface descends at constant speed (constant evaporation rate
of the first drying stage) until the force on it rises sharply: the layer then
carries itself and its height is the dry thickness. "Sharply" is made precise as the
plate force (averaged over ``check_every`` steps) exceeding ``stop_ratio`` times the
drag that moving every particle at the plate speed would take: beyond that the plate
no longer sweeps particles through the solvent but compresses a load-bearing network.

Physics that had to be scaled, so that one run takes about a minute:

* Young's modulus is lowered to ``youngs_modulus`` (soft-particle DEM); the overlaps
  stay below 1 % of a radius, so the packing does not depend on it.
* Particle masses are multiplied by ``density_scale``. Drag and contacts, not inertia,
  govern a slurry (the Stokes relaxation time is microseconds against a drying time
  of seconds), so heavier particles only lengthen an irrelevant time scale while
  allowing a time step thousands of times larger. The run reports its Stokes number.
* The plate moves at ``plate_speed``, far faster than a real film surface; it is the
  stand-in for the shrinkage rate in the design of experiments. The run reports the
  capillary-like number Ca = 6 pi eta R v / F_pull-off (viscous over cohesive force on
  an active particle) so runs at different speeds can be compared.

Internally LAMMPS ``units micro``: µm, pg, µs; forces in nN, pressures in kPa,
viscosities in mPa s, surface energies in mJ/m^2.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..platform.errors import ParameterError, SolverError
from .engine import load_lammps
from .particles import MAX_PARTICLES, Formulation, build_particles, estimated_particles, place_random


@dataclass(frozen=True)
class DemSettings:
    """Numerical and material settings of one DEM drying run (units in the names' comments)."""

    side: float = 60.0                  # µm, requested edge of the square periodic cell
    median_radius: float = 5.5          # µm, NMC median radius (Table A2: R_p = 5.5 µm)
    log_std: float = 0.25               # 1, log-normal spread of the NMC radius
    n_classes: int = 5                  # PSD classes (seed 004: five)
    agglomerate_radius: float = 1.5     # µm, carbon-black agglomerates (monodisperse)
    agglomerate_porosity: float = 0.5   # 1, inner porosity counted in the agglomerate volume
    film_fraction: float = 1.0 / 3.0    # 1, carbon-black volume share in the film on AM
    viscosity: float = 1.0              # Pa s, PVDF/NMP binder solution
    youngs_modulus: float = 10.0        # MPa, reduced particle stiffness
    poisson: float = 0.3                # 1
    work_of_adhesion: float = 1.66      # mJ/m^2, A/(12 pi D0^2), A = 1e-20 J, D0 = 0.4 nm
    friction: float = 0.3               # 1, sliding friction coefficient
    plate_speed: float = 0.2            # mm/s, sinking speed of the film surface (scaled time)
    density_scale: float = 1.0e4        # 1, mass scaling (see module docstring)
    stop_ratio: float = 5.0             # 1, plate force / all-particles drag force that ends the run
    check_every: int = 200              # steps between plate-force checks
    max_steps: int = 2_000_000          # safety limit

    def validate(self) -> None:
        """Refuse settings that cannot give a physical run, naming the setting, value, unit and range."""
        inf = float("inf")
        positive = [("side", "µm"), ("median_radius", "µm"), ("agglomerate_radius", "µm"),
                    ("viscosity", "Pa s"), ("youngs_modulus", "MPa"), ("plate_speed", "mm/s"),
                    ("density_scale", "1")]
        closed = [("log_std", "1", 0.0, 1.0), ("agglomerate_porosity", "1", 0.0, 0.95),
                  ("film_fraction", "1", 0.0, 1.0), ("poisson", "1", 0.0, 0.5),
                  ("work_of_adhesion", "mJ/m^2", 0.0, inf), ("friction", "1", 0.0, inf),
                  ("stop_ratio", "1", 1.0, inf)]
        for name, unit in positive:
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ParameterError(f"DEM setting {name} = {v!r} {unit} is out of range (0, inf)")
        for name, unit, low, high in closed:
            v = getattr(self, name)
            if not (np.isfinite(v) and low <= v <= high):
                raise ParameterError(f"DEM setting {name} = {v!r} {unit} is out of range [{low:g}, {high:g}]")
        for name in ("n_classes", "check_every", "max_steps"):
            if getattr(self, name) < 1:
                raise ParameterError(f"DEM setting {name} = {getattr(self, name)!r} must be >= 1")


@dataclass
class DryingResult:
    """Outcome of one DEM drying run (porosity as a fraction, lengths in µm, forces in nN).

    ``plate_z``, ``plate_force``: the plate-force curve; ``drag_force``: the drag of all
    particles at the plate speed, the force scale of the stop rule; ``wall_overlap``: the
    deepest soft-contact overlap of a particle into the collector or the plate.
    """

    m_wet: float
    seed: int
    porosity: float
    h_dry: float
    h_wet: float
    n_particles: int
    n_active: int
    n_agglomerates: int
    side: float
    steps: int
    wall_time: float
    timestep: float
    stokes: float
    capillary: float
    plate_z: np.ndarray = field(repr=False)
    plate_force: np.ndarray = field(repr=False)
    inside: bool = True
    wall_overlap: float = 0.0
    drag_force: float = 0.0
    settings: dict = field(default_factory=dict, repr=False)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.wall_time if self.wall_time > 0 else float("nan")

    def row(self) -> dict:
        """Flat record for a design-of-experiments CSV."""
        return {"m_wet": self.m_wet, "plate_speed": self.settings.get("plate_speed"), "seed": self.seed,
                "eps_dry": self.porosity, "h_dry": self.h_dry, "h_wet": self.h_wet,
                "n_particles": self.n_particles, "n_active": self.n_active,
                "n_agglomerates": self.n_agglomerates, "side": self.side, "steps": self.steps,
                "wall_time": self.wall_time, "wall_overlap": self.wall_overlap, "stokes": self.stokes,
                "capillary": self.capillary}


def run_drying(m_wet: float, seed: int = 1, settings: DemSettings | None = None,
               formulation: Formulation | None = None, *, dump: str | None = None) -> DryingResult:
    """One DEM drying run of a wet film of ``m_wet`` mg/cm^2; reproducible from ``seed``.

    Raises :class:`ParameterError` for a loading outside (0, 200] mg/cm^2 or bad settings
    before any simulation starts, and :class:`SolverError` if the plate reaches the
    fully dense thickness without the layer carrying it.
    """
    s = settings or DemSettings()
    f = formulation or Formulation()
    s.validate()
    if not (np.isfinite(m_wet) and 0 < m_wet <= 200):
        raise ParameterError(f"m_wet = {m_wet!r} mg/cm^2 is out of range (0, 200] for the DEM drying run")
    n = estimated_particles(m_wet, f, s.side, s.median_radius, s.log_std, s.n_classes, s.agglomerate_radius,
                            s.agglomerate_porosity, s.film_fraction)
    if n > MAX_PARTICLES:
        raise ParameterError(f"a DEM cell of side = {s.side:g} µm at m_wet = {m_wet:g} mg/cm^2 holds about {n:,} "
                             f"particles, more than the {MAX_PARTICLES:,} a run may hold; use a smaller side "
                             f"(the reference run: 60 µm, 931 particles)", parameter="side", value=s.side, unit="µm")
    lammps = load_lammps()
    rng = np.random.default_rng(seed)
    parts = build_particles(m_wet, f, s.side, s.median_radius, s.log_std, s.n_classes,
                            s.agglomerate_radius, s.agglomerate_porosity, s.film_fraction, rng)
    h_wet = f.wet_thickness(m_wet)
    h_solid = f.solid_thickness(m_wet)
    pos = place_random(parts.radius, parts.side, h_wet, rng)

    # micro units: viscosity mPa s, modulus kPa, adhesion mJ/m^2, speed µm/µs
    eta = s.viscosity * 1e3
    modulus = s.youngs_modulus * 1e3
    speed = s.plate_speed * 1e-3
    n_types = s.n_classes + 1
    type_radius = np.append(parts.class_radii + parts.film, parts.agglomerate_radius)
    type_density = np.array([parts.density[parts.kind == k][0] if np.any(parts.kind == k) else 1.0
                             for k in range(n_types)]) * s.density_scale
    mass = 4.0 / 3.0 * np.pi * type_radius ** 3 * type_density
    gamma = 6.0 * np.pi * eta * type_radius
    shear = modulus / (2.0 * (1.0 + s.poisson))
    rayleigh = np.pi * type_radius * np.sqrt(type_density / shear) / (0.1631 * s.poisson + 0.8766)
    dt = float(min(0.2 * rayleigh.min(), 0.2 * (mass / gamma).min()))
    pull_off = 1.5 * np.pi * s.work_of_adhesion * type_radius / 2.0
    am = slice(0, s.n_classes)
    capillary = float(np.median(gamma[am] * speed / np.maximum(pull_off[am], 1e-300)))
    stokes = float((mass / gamma).max() * speed / type_radius.min())
    counts = np.bincount(parts.kind, minlength=n_types)
    drag_all = float(np.sum(counts * gamma) * speed)
    top = h_wet

    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    z_path, f_path = [], []
    start = time.perf_counter()
    try:
        cmd = lmp.command
        for line in (
            "units micro", "atom_style sphere", "atom_modify map array", "boundary p p f",
            "comm_modify vel yes",
            f"region box block 0 {parts.side:.10g} 0 {parts.side:.10g} 0 {top * 1.001:.10g}",
            f"create_box {n_types} box",
        ):
            cmd(line)
        n = len(parts.radius)
        lmp.create_atoms(n, list(range(1, n + 1)), [int(k) + 1 for k in parts.kind],
                         pos.reshape(-1).tolist())
        for t in range(n_types):
            if counts[t]:
                cmd(f"set type {t + 1} diameter {2 * type_radius[t]:.10g}")
                cmd(f"set type {t + 1} density {type_density[t]:.10g}")
        elastic = f"{modulus:.10g} {0.5:.10g} {s.poisson:.10g}"
        tangential = f"tangential mindlin NULL 1.0 {s.friction:.10g}"
        cmd("pair_style granular")
        cmd(f"pair_coeff * * jkr {elastic} {s.work_of_adhesion:.10g} damping viscoelastic {tangential}")
        cmd(f"neighbor {0.3 * parts.agglomerate_radius:.10g} bin")
        cmd("neigh_modify delay 0 every 1 check yes")
        wall = f"granular hertz/material {elastic} {tangential}"
        cmd(f"fix collector all wall/gran {wall} zplane 0 NULL")
        cmd(f"variable dz equal -{speed:.10g}*step*dt")
        cmd(f"region plate plane 0 0 {top:.10g} 0 0 -1 side in move NULL NULL v_dz")
        cmd(f"fix plate all wall/gran/region {wall} region plate contacts")
        scales = " ".join(f"scale {t + 1} {type_radius[t] / type_radius[0]:.10g}" for t in range(n_types))
        cmd(f"fix drag all viscous {gamma[0]:.10g} {scales}")
        cmd("fix move all nve/sphere")
        cmd("compute fplate all reduce sum f_plate[4]")
        cmd(f"fix fmean all ave/time 1 {s.check_every} {s.check_every} c_fplate")
        cmd(f"timestep {dt:.10g}")
        cmd("thermo 0")
        cmd("run 0 post no")
        steps = 0
        while True:
            cmd(f"run {s.check_every} pre no post no")
            steps += s.check_every
            z = top - speed * steps * dt
            force = -float(lmp.extract_fix("fmean", 0, 0))  # chunk mean; particles push the plate up
            z_path.append(z)
            f_path.append(force)
            if force > s.stop_ratio * drag_all:
                break
            if z <= h_solid or steps >= s.max_steps:
                raise SolverError(f"DEM drying at m_wet = {m_wet} mg/cm^2, seed {seed}: the plate reached "
                                  f"{z:.2f} µm after {steps} steps (dense thickness {h_solid:.2f} µm) "
                                  f"without the layer carrying it; raise stop sensitivity or lower plate_speed")
        nlocal = lmp.extract_global("nlocal")
        x = np.array(lmp.numpy.extract_atom("x"))[:nlocal, :3]
        rad = np.array(lmp.numpy.extract_atom("radius"))[:nlocal]
        if dump:
            cmd(f"write_dump all custom {dump} id type radius x y z")
    finally:
        lmp.close()
    wall_time = time.perf_counter() - start
    h_dry = float(z_path[-1])
    porosity = 1.0 - h_solid / h_dry
    into_wall = np.maximum(rad - x[:, 2], x[:, 2] + rad - h_dry)
    overlap = float(max(0.0, into_wall.max()))
    # soft contacts may press a particle into a wall by a fraction of its own radius; LAMMPS
    # wraps x, y only at re-neighbouring, so allow one skin distance there
    skin = 0.3 * parts.agglomerate_radius
    inside = bool(np.all(into_wall <= 0.25 * rad)
                  and np.all((x[:, :2] >= -skin) & (x[:, :2] <= parts.side + skin)))
    return DryingResult(m_wet=float(m_wet), seed=int(seed), porosity=float(porosity), h_dry=h_dry,
                        h_wet=float(h_wet), n_particles=int(len(rad)), n_active=int(counts[:s.n_classes].sum()),
                        n_agglomerates=int(counts[s.n_classes]), side=float(parts.side), steps=steps,
                        wall_time=wall_time, timestep=dt, stokes=stokes, capillary=capillary,
                        plate_z=np.array(z_path), plate_force=np.array(f_path), inside=inside, wall_overlap=overlap,
                        drag_force=drag_all,
                        settings=asdict(s))
