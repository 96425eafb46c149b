"""A picture of one generated microstructure: a slice with the phases coloured."""
from __future__ import annotations

from pathlib import Path

from .generate import Grid, Recipe, fractions, generate

#: phase colours: pore, active material, carbon-binder domain
COLOURS = ["#f2f2f2", "#3b5b92", "#d1495b"]


def render_slice(porosity: float, x_cbd: float, radius: float, path: str | Path, grid: Grid = Grid(n=64),
                 seed: int = 0) -> Path:
    """Generate a structure and write its middle slice (through-thickness axis vertical) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    recipe = Recipe(porosity=porosity, x_cbd=x_cbd, radius=radius)
    img = generate(recipe, grid, seed)
    size = grid.n * grid.voxel_size(recipe)
    f = fractions(img, recipe.eps_nano)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(img[:, :, grid.n // 2], cmap=ListedColormap(COLOURS), vmin=0, vmax=2, interpolation="nearest",
              extent=(0, size, size, 0))
    ax.set_xlabel("in-plane (µm)")
    ax.set_ylabel("through thickness (µm)")
    ax.set_title(f"eps_cal {f['eps_cal']:.3f}, X_AM {f['X_AM']:.3f}, X_CBD {f['X_CBD']:.3f}, "
                 f"voxel {grid.voxel_size(recipe):.2f} µm", fontsize=8)
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(COLOURS, ("pore", "active material",
                                                                       "CBD (50 % nanoporous)"), strict=True)],
              loc="upper right", fontsize=7, framealpha=0.9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
