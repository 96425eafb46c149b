"""A fitted metamodel: evaluation in plain numpy, its design space, and JSON persistence.

Every kind (linear, quadratic, exponential, polynomial chaos, Kriging) is stored as
coefficients that numpy alone evaluates, so loading a shipped metamodel needs neither
OpenTURNS nor the design. A metamodel must not extrapolate (seed 004, §2.2.1): it
knows the box its design covered and warns, or raises if asked, when evaluated
outside it.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..platform.errors import ExtrapolationWarning, ParameterError, first_offending

KINDS = ("linear", "quadratic", "exponential", "pce", "kriging")


def quadratic_terms(d: int) -> list[tuple[int, ...]]:
    """Index tuples of the full quadratic basis: (), (i,), (i, j) with i <= j."""
    return [()] + [(i,) for i in range(d)] + [(i, j) for i in range(d) for j in range(i, d)]


def term_matrix(x: np.ndarray, terms: Sequence[Sequence[int]]) -> np.ndarray:
    """Columns prod_k x[:, k] for each term (the empty term is the constant 1)."""
    return np.column_stack([np.prod(x[:, list(t)], axis=1) if t else np.ones(len(x)) for t in terms])


def legendre_basis(u: np.ndarray, indices: Sequence[Sequence[int]]) -> np.ndarray:
    """Orthonormal Legendre products on [-1, 1]^d (the basis OpenTURNS uses for uniform inputs)."""
    top = max((max(a) for a in indices if len(a)), default=0)
    # P_n(u_k) once per input and degree (Bonnet's recursion), normalised; the terms are their products
    p = [[np.ones(len(u)), u[:, k].copy()] for k in range(u.shape[1])]
    for k in range(u.shape[1]):
        for n in range(1, top):
            p[k].append(((2 * n + 1) * u[:, k] * p[k][n] - n * p[k][n - 1]) / (n + 1))
        p[k] = [np.sqrt(2 * n + 1) * q for n, q in enumerate(p[k])]
    out = np.ones((len(u), len(indices)))
    for j, alpha in enumerate(indices):
        for k, n in enumerate(alpha):
            if n:
                out[:, j] *= p[k][n]
    return out


def squared_exponential(a: np.ndarray, b: np.ndarray, scale: np.ndarray, amplitude: float) -> np.ndarray:
    """OpenTURNS ``SquaredExponential``: amplitude^2 exp(-|(a - b) / scale|^2 / 2)."""
    d = (a[:, None, :] - b[None, :, :]) / scale
    return amplitude ** 2 * np.exp(-0.5 * np.einsum("ijk,ijk->ij", d, d))


@dataclass
class Metamodel:
    """One fitted metamodel ``output = f(inputs)``.

    ``coefficients`` holds what the kind needs to evaluate (see :meth:`predict`);
    ``design_space`` maps each input to its ``[min, max]`` in the design;
    ``extrapolation`` is ``"warn"`` or ``"raise"``.
    """

    kind: str
    inputs: list[str]
    output: str
    coefficients: dict
    design_space: dict[str, list[float]]
    metrics: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    extrapolation: str = "warn"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(f"metamodel kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.extrapolation not in ("warn", "raise"):
            raise ParameterError(f"extrapolation = {self.extrapolation!r} must be 'warn' or 'raise'")

    # -- evaluation ----------------------------------------------------------------
    def _matrix(self, x) -> np.ndarray:
        if isinstance(x, Mapping):
            missing = [n for n in self.inputs if n not in x]
            if missing:
                raise ParameterError(f"metamodel {self.output} = f({', '.join(self.inputs)}): "
                                     f"missing input(s) {', '.join(missing)}")
            cols = np.broadcast_arrays(*[np.asarray(x[n], dtype=float) for n in self.inputs])
            return np.column_stack([c.reshape(-1) for c in cols])
        x = np.asarray(x, dtype=float)
        return x.reshape(-1, len(self.inputs)) if x.ndim < 2 else x

    def check_domain(self, x: np.ndarray, extrapolation: str | None = None) -> np.ndarray:
        """Mask of rows outside the design space; warns or raises as configured."""
        mode = extrapolation or self.extrapolation
        outside = np.zeros(len(x), dtype=bool)
        for k, name in enumerate(self.inputs):
            lo, hi = self.design_space[name]
            tol = 1e-9 * max(hi - lo, abs(hi), 1e-300)
            bad = (x[:, k] < lo - tol) | (x[:, k] > hi + tol)
            if np.any(bad):
                outside |= bad
                v = first_offending(x[:, k], bad)
                msg = (f"metamodel {self.kind} for {self.output}: input {name} = {v:g} "
                       f"({int(bad.sum())} value(s)) is outside the design space [{lo:g}, {hi:g}]; "
                       f"metamodels must not extrapolate (seed 004, §2.2.1)")
                if mode == "raise":
                    raise ParameterError(msg)
                warnings.warn(ExtrapolationWarning(msg, metamodel=self.kind, output=self.output, input=name,
                                                   low=float(lo), high=float(hi), count=int(bad.sum()),
                                                   lowest=float(np.min(x[bad, k])), highest=float(np.max(x[bad, k]))),
                              stacklevel=3)
        return outside

    def __call__(self, x, extrapolation: str | None = None) -> np.ndarray:
        """Predict the output for rows of ``x`` ((n, d) array or mapping name -> array)."""
        shape = None
        if isinstance(x, Mapping):
            shape = np.broadcast_shapes(*[np.shape(x[n]) for n in self.inputs if n in x])
        xm = self._matrix(x)
        self.check_domain(xm, extrapolation)
        y = self.predict(xm)
        return y.reshape(shape) if shape is not None else y

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Raw prediction for an (n, d) array, without the design-space check."""
        c = self.coefficients
        if self.kind in ("linear", "quadratic"):
            return term_matrix(x, c["terms"]) @ np.asarray(c["values"])
        if self.kind == "exponential":
            return c["a"] + c["b"] * np.exp(x @ np.asarray(c["c"]))
        lo, hi = (np.array([self.design_space[n][i] for n in self.inputs]) for i in (0, 1))
        if self.kind == "pce":
            u = 2.0 * (x - lo) / (hi - lo) - 1.0
            return legendre_basis(u, c["indices"]) @ np.asarray(c["values"])
        # kriging: trend + k(x, X) weights, on inputs scaled to [0, 1], output standardised
        u = (x - lo) / (hi - lo)
        k = squared_exponential(u, np.asarray(c["points"]), np.asarray(c["scale"]), c["amplitude"])
        z = c["trend"] + k @ np.asarray(c["weights"])
        return c["y_mean"] + c["y_std"] * z

    # -- persistence ---------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"kind": self.kind, "inputs": self.inputs, "output": self.output,
                "coefficients": self.coefficients, "design_space": self.design_space,
                "metrics": self.metrics, "provenance": self.provenance, "extrapolation": self.extrapolation}

    @classmethod
    def from_dict(cls, data: Mapping) -> Metamodel:
        return cls(kind=data["kind"], inputs=list(data["inputs"]), output=data["output"],
                   coefficients=data["coefficients"],
                   design_space={k: list(v) for k, v in data["design_space"].items()},
                   metrics=data.get("metrics", {}), provenance=data.get("provenance", {}),
                   extrapolation=data.get("extrapolation", "warn"))

    def formula(self) -> str:
        """Human-readable form of the fitted function."""
        c = self.coefficients
        if self.kind in ("linear", "quadratic"):
            names = ["1" if not t else "*".join(self.inputs[i] for i in t) for t in c["terms"]]
            return " + ".join(f"{v:.6g}*{n}" if n != "1" else f"{v:.6g}"
                              for v, n in zip(c["values"], names, strict=True))
        if self.kind == "exponential":
            arg = " + ".join(f"{ci:.6g}*{n}" for ci, n in zip(c["c"], self.inputs, strict=False))
            return f"{c['a']:.6g} + {c['b']:.6g}*exp({arg})"
        if self.kind == "pce":
            return f"Legendre chaos, {len(c['values'])} terms, total degree {c['degree']}"
        return f"Kriging (squared exponential, {len(c['points'])} points, constant trend)"


def load_metamodel(path: str | Path, extrapolation: str | None = None) -> Metamodel:
    """Load a metamodel JSON written by :func:`celltwin.metamodels.fitting.Selection.save`.

    The file holds the selected model under ``"selected"``; a bare metamodel dict also loads.
    """
    try:
        data = json.loads(Path(path).read_text())
        model = Metamodel.from_dict(data.get("selected_model", data))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ParameterError(f"metamodel file {str(path)!r} cannot be read as a celltwin metamodel "
                             f"({type(exc).__name__}: {exc})", parameter="metamodel", path=str(path)) from None
    if "provenance" in data and not model.provenance:
        model.provenance = data["provenance"]
    if extrapolation is not None:
        model.extrapolation = extrapolation
    return model
