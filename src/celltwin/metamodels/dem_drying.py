"""DEM simulation of the shrinkage stage of drying on LAMMPS (seed 004 §2.2.1 and §3.2; seed 000).

Active-material spheres (five PSD classes) and porous carbon-binder-domain (CBD) particles,
swollen by solvent (:mod:`.cbd`, after Lombardo et al. 2021, seed 000), are placed at random in
a box as tall as the wet film, periodic in x and y, on a current-collector wall. The solvent
acts through Stokes drag 6 pi eta r v on every particle (with its current radius) and the
particles stick through van der Waals cohesion in the JKR contact model. A plate standing for
the film surface sinks at constant speed (constant evaporation rate of the first drying
stage, seed 004) while the CBD particles shrink as the solvent leaves.

**End of the shrinkage stage.** The film surface stops sinking when the particle network
carries the capillary pressure of the meniscus that would have to enter its pores: the
Young-Laplace pressure P_cap = 2 gamma cos(theta) / r_pore with the pore radius
r_pore = 2 V_pore / S_particles of the current packing (Brinker & Scherer 1990, *Sol-Gel
Science* ch. 8; Scherer 1990, J. Am. Ceram. Soc. 73:3). Beyond it the menisci recede into
the pores (the second, pore-emptying stage; Jaiser et al. 2017) and the thickness no longer
changes. The run stops when the plate pressure (force / cell area, averaged over
``check_every`` steps) reaches P_cap: both are intensive, so the criterion does not depend
on the cell size.

**Drying rate.** The evaporation rate (g/(m^2 s)) sets the real surface speed
v = rate / rho_solvent. The plate moves at the numerical ``plate_speed``, k = plate_speed / v
times faster; so that the sedimentation of the particles keeps its physical ratio to the
surface speed, gravity (net of buoyancy) is multiplied by the same k (the "effective
gravity" of seed 000's model section). The drying rate enters the DEM through that ratio.

**Binder migration output.** The CBD share in the bottom, middle and top thirds of the dry
film (seed 000's metric, Fig. 2B) and the migration index top/bottom (1: uniform).

Numerical scaling, each checked for convergence in docs/dem-drying.md: a softened Young's
modulus, masses multiplied by ``density_scale`` (drag and contacts, not inertia, govern a
slurry; the run reports its Stokes number) and a plate far faster than the real surface (the
run reports Ca = 6 pi eta R v / F_pull-off for the NMC particles).

Internally LAMMPS ``units micro``: µm, pg, µs; forces in nN, pressures in kPa, viscosities in
mPa s, surface energies and tensions in mJ/m^2 = mN/m.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..platform.errors import ParameterError, SolverError
from .cbd import NANOPOROSITY, porosity_split
from .engine import load_lammps
from .particles import MAX_PARTICLES, Formulation, build_particles, carbon_binder, estimated_particles, place_random

#: m/s^2
GRAVITY = 9.81


@dataclass(frozen=True)
class DemSettings:
    """Material, process and numerical settings of one DEM drying run (units in the comments)."""

    side: float = 25.0                  # µm, requested edge of the square periodic cell
    median_radius: float = 5.5          # µm, NMC median radius (seed 004 Table A2: R_p = 5.5 µm)
    log_std: float = 0.25               # 1, log-normal spread of the NMC radius
    n_classes: int = 5                  # PSD classes (seed 004: five)
    cbd_radius: float = 1.5             # µm, dry envelope radius of a CBD particle (seed 004's agglomerates)
    nanoporosity: float = NANOPOROSITY  # 1, CBD nanoporosity (seed 000: ~50 %, Zielke et al. 2015)
    swelling: float = 1.5               # 1, wet/dry CBD envelope volume at the start of drying (assumed)
    viscosity: float = 1.0              # Pa s, PVDF/NMP binder solution
    youngs_modulus: float = 100.0       # MPa, reduced particle stiffness
    poisson: float = 0.3                # 1
    work_of_adhesion: float = 1.66      # mJ/m^2, A/(12 pi D0^2), A = 1e-20 J, D0 = 0.4 nm
    friction: float = 0.3               # 1, sliding friction coefficient
    surface_tension: float = 40.8       # mN/m, NMP at 20-25 °C
    contact_angle: float = 0.0          # degrees, NMP wets NMC and carbon
    drying_rate: float = 1.0            # g/(m^2 s), solvent evaporation rate of the first drying stage
    plate_speed: float = 0.5            # mm/s, numerical speed of the film surface (time compression)
    density_scale: float = 1.0e4        # 1, mass scaling (see module docstring)
    check_every: int = 200              # steps between plate-pressure checks
    relax_checks: int = 100             # most checks of the unloading after the stop
    max_steps: int = 3_000_000          # safety limit

    def validate(self) -> None:
        """Refuse settings that cannot give a physical run, naming the setting, value, unit and range."""
        inf = float("inf")
        positive = [("side", "µm"), ("median_radius", "µm"), ("cbd_radius", "µm"),
                    ("viscosity", "Pa s"), ("youngs_modulus", "MPa"), ("plate_speed", "mm/s"),
                    ("density_scale", "1"), ("surface_tension", "mN/m"), ("drying_rate", "g/(m^2 s)")]
        closed = [("log_std", "1", 0.0, 1.0), ("nanoporosity", "1", 0.0, 0.95), ("swelling", "1", 1.0, 3.0),
                  ("poisson", "1", 0.0, 0.5), ("work_of_adhesion", "mJ/m^2", 0.0, inf), ("friction", "1", 0.0, inf),
                  ("contact_angle", "degrees", 0.0, 89.0)]
        for name, unit in positive:
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ParameterError(f"DEM setting {name} = {v!r} {unit} is out of range (0, inf)",
                                     parameter=name, value=v, unit=unit, valid="(0, inf)")
        for name, unit, low, high in closed:
            v = getattr(self, name)
            if not (np.isfinite(v) and low <= v <= high):
                raise ParameterError(f"DEM setting {name} = {v!r} {unit} is out of range [{low:g}, {high:g}]",
                                     parameter=name, value=v, unit=unit, valid=f"[{low:g}, {high:g}]")
        for name in ("n_classes", "check_every", "max_steps", "relax_checks"):
            if getattr(self, name) < 1:
                raise ParameterError(f"DEM setting {name} = {getattr(self, name)!r} must be >= 1", parameter=name)


@dataclass
class DryingResult:
    """Outcome of one DEM drying run (porosities as fractions, lengths in µm, pressures in kPa).

    ``porosity`` is the overall one (bulk pores + CBD nanopores, = eq. 13); ``cbd_thirds``
    the CBD share (bottom, middle, top) of the dry film; ``migration_index`` top/bottom.
    ``plate_z``, ``plate_pressure``, ``capillary_pressure``: the plate's path, the pressure
    the network put on it and the meniscus pressure P_cap at each check.
    """

    m_wet: float
    drying_rate: float
    seed: int
    porosity: float
    bulk_porosity: float
    nano_porosity: float
    h_dry: float
    h_wet: float
    h_loaded: float
    cbd_thirds: tuple[float, float, float]
    migration_index: float
    stop_pressure: float
    n_particles: int
    n_active: int
    n_cbd: int
    side: float
    steps: int
    wall_time: float
    timestep: float
    stokes: float
    capillary: float
    sedimentation: float
    plate_z: np.ndarray = field(repr=False)
    plate_pressure: np.ndarray = field(repr=False)
    capillary_pressure: np.ndarray = field(repr=False)
    inside: bool = True
    wall_overlap: float = 0.0
    settings: dict = field(default_factory=dict, repr=False)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.wall_time if self.wall_time > 0 else float("nan")

    def row(self) -> dict:
        """Flat record for a design-of-experiments CSV and ``--json``."""
        return {"m_wet": self.m_wet, "drying_rate": self.drying_rate, "seed": self.seed, "eps_dry": self.porosity,
                "eps_bulk": self.bulk_porosity, "eps_nano": self.nano_porosity, "h_dry": self.h_dry,
                "h_wet": self.h_wet, "h_loaded": self.h_loaded, "cbd_bottom": self.cbd_thirds[0],
                "cbd_middle": self.cbd_thirds[1], "cbd_top": self.cbd_thirds[2],
                "migration_index": self.migration_index,
                "stop_pressure": self.stop_pressure, "n_particles": self.n_particles, "n_active": self.n_active,
                "n_cbd": self.n_cbd, "side": self.side, "steps": self.steps, "wall_time": self.wall_time,
                "wall_overlap": self.wall_overlap, "stokes": self.stokes, "capillary": self.capillary,
                "sedimentation": self.sedimentation}


def capillary_pressure(thickness, area: float, particle_volume, particle_surface, surface_tension: float,
                       contact_angle: float):
    """P_cap = 2 gamma cos(theta) / r_pore, r_pore = 2 V_pore / S (Brinker & Scherer 1990), kPa.

    Lengths in µm, ``surface_tension`` in mN/m, ``contact_angle`` in degrees; inf when no pore is left.
    """
    pore = np.asarray(thickness, dtype=float) * area - particle_volume
    r_pore = 2.0 * pore / particle_surface
    with np.errstate(divide="ignore"):
        return np.where(pore > 0, 2.0 * surface_tension * np.cos(np.radians(contact_angle)) / r_pore, np.inf)


def cbd_thirds(z: np.ndarray, weights: np.ndarray, thickness: float) -> tuple[float, float, float]:
    """Shares of ``weights`` (CBD mass) whose centres lie in the bottom, middle and top thirds of the film."""
    edges = np.clip(np.floor(3.0 * np.asarray(z) / thickness), 0, 2).astype(int)
    total = float(np.sum(weights))
    shares = np.bincount(edges, weights=weights, minlength=3) / total
    return float(shares[0]), float(shares[1]), float(shares[2])


def run_drying(m_wet: float, seed: int = 1, settings: DemSettings | None = None,
               formulation: Formulation | None = None, *, dump: str | None = None) -> DryingResult:
    """One DEM drying run of a wet film of ``m_wet`` mg/cm^2; reproducible from ``seed``.

    Raises :class:`ParameterError` for a loading outside (0, 200] mg/cm^2 or bad settings
    before any simulation starts, and :class:`SolverError` if the plate reaches the fully
    dense thickness without the network carrying the capillary pressure.
    """
    s = settings or DemSettings()
    f = formulation or Formulation()
    s.validate()
    if not (np.isfinite(m_wet) and 0 < m_wet <= 200):
        raise ParameterError(f"m_wet = {m_wet!r} mg/cm^2 is out of range (0, 200] for the DEM drying run",
                             parameter="m_wet", value=m_wet, unit="mg/cm^2", valid="(0, 200]")
    cbd = carbon_binder(f, s.nanoporosity, s.swelling)
    n = estimated_particles(m_wet, f, s.side, s.median_radius, s.log_std, s.n_classes, s.cbd_radius, cbd)
    if n > MAX_PARTICLES:
        raise ParameterError(f"a DEM cell of side = {s.side:g} µm at m_wet = {m_wet:g} mg/cm^2 holds about {n:,} "
                             f"particles, more than the {MAX_PARTICLES:,} a run may hold; use a smaller side",
                             parameter="side", value=s.side, unit="µm")
    lammps = load_lammps()
    rng = np.random.default_rng(seed)
    parts = build_particles(m_wet, f, s.side, s.median_radius, s.log_std, s.n_classes, s.cbd_radius, cbd, rng)
    h_wet = f.wet_thickness(m_wet)
    h_solid = f.solid_thickness(m_wet)
    area = parts.side ** 2
    h_envelope = (parts.am_volume + parts.cbd_envelope_volume) / area  # all particles dry and touching nothing
    pos = place_random(parts.radius(1.0), parts.side, h_wet, rng)

    # micro units: viscosity mPa s, modulus kPa, speed µm/µs, acceleration µm/µs^2
    eta = s.viscosity * 1e3
    modulus = s.youngs_modulus * 1e3
    speed = s.plate_speed * 1e-3
    v_real = s.drying_rate / f.rho_solvent * 1e-6            # µm/µs: (g/(m^2 s)) / (g/cm^3) = µm/s
    k_time = speed / v_real
    g_eff = GRAVITY * 1e-6 * k_time                          # µm/µs^2
    nc = s.n_classes
    n_types = nc + 1
    r_wet = float(cbd.wet_radius(parts.cbd_radius, 1.0))
    type_radius = np.append(parts.class_radii, r_wet)
    true_density = np.append(np.full(nc, f.rho_AM), float(cbd.wet_density(parts.cbd_radius, 1.0, f.rho_solvent)))
    type_density = true_density * s.density_scale
    mass = 4.0 / 3.0 * np.pi * type_radius ** 3 * type_density
    buoyant = np.append((f.rho_AM - f.rho_solvent) * 4.0 / 3.0 * np.pi * parts.class_radii ** 3,
                        float(cbd.buoyant_mass(parts.cbd_radius, f.rho_solvent)))
    weight = buoyant * g_eff                                  # nN, net of buoyancy, effective gravity
    drag_coef = 6.0 * np.pi * eta
    gamma = drag_coef * type_radius
    shear = modulus / (2.0 * (1.0 + s.poisson))
    rayleigh = np.pi * type_radius * np.sqrt(type_density / shear) / (0.1631 * s.poisson + 0.8766)
    dt = float(min(0.2 * rayleigh.min(), 0.2 * (mass / gamma).min()))
    pull_off = 1.5 * np.pi * s.work_of_adhesion * type_radius / 2.0
    am = slice(0, nc)
    capillary = float(np.median(gamma[am] * speed / np.maximum(pull_off[am], 1e-300)))
    stokes = float((mass / gamma).max() * speed / type_radius.min())
    settling = buoyant[nc // 2] * GRAVITY * 1e-6 / gamma[nc // 2]  # real Stokes settling of the median NMC
    sedimentation = float(settling / v_real)
    counts = np.bincount(parts.kind, minlength=n_types)
    n_cbd = int(counts[nc])
    am_surface = float(np.sum(4.0 * np.pi * parts.dry_radius[~parts.is_cbd] ** 2))

    def solvent_left(z):
        return np.clip((z - h_envelope) / (h_wet - h_envelope), 0.0, 1.0)

    def packing(z):
        rc = cbd.wet_radius(parts.cbd_radius, solvent_left(z))
        return parts.am_volume + n_cbd * 4.0 / 3.0 * np.pi * rc ** 3, am_surface + n_cbd * 4.0 * np.pi * rc ** 2

    top = h_wet
    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    z_path, p_path, pcap_path = [], [], []
    start = time.perf_counter()
    try:
        cmd = lmp.command
        for line in (
            "units micro", "atom_style sphere 1",  # 1: radii may change (fix adapt)
            "atom_modify map array", "boundary p p f",
            "comm_modify vel yes",
            f"region box block 0 {parts.side:.10g} 0 {parts.side:.10g} 0 {top * 1.001:.10g}",
            f"create_box {n_types} box",
        ):
            cmd(line)
        n = len(parts.kind)
        lmp.create_atoms(n, list(range(1, n + 1)), [int(k) + 1 for k in parts.kind], pos.reshape(-1).tolist())
        for t in range(n_types):
            if counts[t]:
                cmd(f"group t{t + 1} type {t + 1}")
                cmd(f"set type {t + 1} diameter {2 * type_radius[t]:.10g}")
                cmd(f"set type {t + 1} density {type_density[t]:.10g}")
                cmd(f"fix weight{t + 1} t{t + 1} addforce 0 0 {-weight[t]:.10g}")
        elastic = f"{modulus:.10g} {0.5:.10g} {s.poisson:.10g}"
        tangential = f"tangential mindlin NULL 1.0 {s.friction:.10g}"
        cmd("pair_style granular")
        cmd(f"pair_coeff * * jkr {elastic} {s.work_of_adhesion:.10g} damping viscoelastic {tangential}")
        cmd(f"neighbor {0.3 * parts.cbd_radius:.10g} bin")
        cmd("neigh_modify delay 0 every 1 check yes")
        wall = f"granular hertz/material {elastic} {tangential}"
        cmd(f"fix collector all wall/gran {wall} zplane 0 NULL")
        cmd(f"variable dz equal -{speed:.10g}*step*dt")
        cmd(f"region plate plane 0 0 {top:.10g} 0 0 -1 side in move NULL NULL v_dz")
        cmd(f"fix plate all wall/gran/region {wall} region plate contacts")
        # Stokes drag with each particle's current radius (the CBD shrink)
        for axis in "xyz":
            cmd(f"variable drag{axis} atom -{drag_coef:.10g}*radius*v{axis}")
        cmd("fix drag all addforce v_dragx v_dragy v_dragz")
        # CBD shrink with the solvent left in the film (plate height between wet and dry-envelope thickness)
        cmd(f"variable xu equal ({top:.10g}+v_dz-{h_envelope:.10g})/{h_wet - h_envelope:.10g}")
        cmd("variable xs equal ternary(v_xu>1,1,ternary(v_xu<0,0,v_xu))")
        cmd(f"variable dcbd equal {2 * parts.cbd_radius:.10g}*(1+{s.swelling - 1.0:.10g}*v_xs)^(1/3)")
        cmd(f"fix shrink t{n_types} adapt {s.check_every} atom diameter v_dcbd reset no mass no")
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
            pressure = -float(lmp.extract_fix("fmean", 0, 0)) / area  # particles push the plate up; nN/µm^2 = kPa
            volume, surface = packing(z)
            p_cap = float(capillary_pressure(z, area, volume, surface, s.surface_tension, s.contact_angle))
            z_path.append(z)
            p_path.append(pressure)
            pcap_path.append(p_cap)
            if pressure >= p_cap:
                break
            if z <= h_solid or steps >= s.max_steps or not np.isfinite(p_cap):
                raise SolverError(f"DEM drying at m_wet = {m_wet} mg/cm^2, seed {seed}: the plate reached "
                                  f"{z:.2f} µm after {steps} steps (dense thickness {h_solid:.2f} µm) without "
                                  f"the network carrying the capillary pressure; lower plate_speed")
        # unload: real particles are stiff, so the elastic overlaps of the softened ones under P_cap
        # are an artefact; take the plate away and let the network spring back (drag-damped) until
        # its top moves less than 0.1 % of the thickness per check
        h_loaded = z
        cmd("unfix plate")
        cmd("unfix shrink")
        cmd("variable ztop atom z+radius")
        cmd("compute ztop all reduce max v_ztop")
        previous = h_loaded
        for _ in range(s.relax_checks):
            cmd(f"run {s.check_every} pre no post no")
            steps += s.check_every
            h_top = float(lmp.extract_compute("ztop", 0, 0))
            if abs(h_top - previous) < 1e-3 * h_loaded:
                break
            previous = h_top
        nlocal = lmp.extract_global("nlocal")
        x = np.array(lmp.numpy.extract_atom("x"))[:nlocal, :3]
        rad = np.array(lmp.numpy.extract_atom("radius"))[:nlocal]
        types = np.array(lmp.numpy.extract_atom("type"))[:nlocal]
        if dump:
            cmd(f"write_dump all custom {dump} id type radius x y z")
    finally:
        lmp.close()
    wall_time = time.perf_counter() - start
    h_dry = h_top
    split = porosity_split(h_dry, area, parts.am_volume, parts.cbd_envelope_volume, s.nanoporosity)
    is_cbd = types == n_types
    thirds = cbd_thirds(x[is_cbd, 2], np.ones(int(is_cbd.sum())), h_dry)
    into_wall = np.maximum(rad - x[:, 2], x[:, 2] + rad - h_dry)
    overlap = float(max(0.0, into_wall.max()))
    # soft contacts may press a particle into a wall by a fraction of its own radius; LAMMPS
    # wraps x, y only at re-neighbouring, so allow one skin distance there
    skin = 0.3 * parts.cbd_radius
    inside = bool(np.all(into_wall <= 0.25 * rad)
                  and np.all((x[:, :2] >= -skin) & (x[:, :2] <= parts.side + skin)))
    return DryingResult(m_wet=float(m_wet), drying_rate=float(s.drying_rate), seed=int(seed),
                        porosity=float(1.0 - h_solid / h_dry), bulk_porosity=split.bulk, nano_porosity=split.nano,
                        h_dry=h_dry, h_wet=float(h_wet), h_loaded=float(h_loaded), cbd_thirds=thirds,
                        migration_index=thirds[2] / thirds[0] if thirds[0] > 0 else float("inf"),
                        stop_pressure=p_path[-1], n_particles=int(n), n_active=int(counts[:nc].sum()), n_cbd=n_cbd,
                        side=float(parts.side), steps=steps, wall_time=wall_time, timestep=dt, stokes=stokes,
                        capillary=capillary, sedimentation=sedimentation, plate_z=np.array(z_path),
                        plate_pressure=np.array(p_path), capillary_pressure=np.array(pcap_path), inside=inside,
                        wall_overlap=overlap, settings=asdict(s))
