"""The picture of a generated microstructure: a PNG of the middle slice, phases coloured."""
from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np

from celltwin.microstructure.generate import Grid
from celltwin.microstructure.render import COLOURS, render_slice


def test_the_slice_shows_the_three_phases(tmp_path):
    path = render_slice(0.315, 0.10, 5.5, tmp_path / "slice.png", grid=Grid(n=32), seed=1)
    img = mpimg.imread(path)[..., :3]
    assert img.shape[0] > 200 and img.shape[1] > 200
    pixels = img.reshape(-1, 3)
    for colour in COLOURS:  # every phase colour appears in the picture
        rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).max(axis=1) < 0.02).sum() > 50, colour
