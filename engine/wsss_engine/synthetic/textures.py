"""Background textures of the synthetic world (numpy, vectorised).

Every texture is a function ``(rng, h, w) -> float32 array (h, w, 3) in [0, 1]``. Some textures co-occur
almost always with one class (water with boats, rails with trains): the co-occurring background that
CLIMS's background losses (docs/METHOD.md §1.4, L_BTM and L_CBS) are meant to keep out of a class's CAM.
"""

from __future__ import annotations

import numpy as np

Texture = np.ndarray


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Value noise in [-1, 1]: a coarse grid of random values, bilinearly upsampled to h×w."""
    gh, gw = h // cell + 2, w // cell + 2
    grid = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
    ys = np.arange(h, dtype=np.float32) / cell
    xs = np.arange(w, dtype=np.float32) / cell
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def _colour(rng: np.random.Generator, base, jitter: float = 0.06) -> np.ndarray:
    return np.clip(np.asarray(base, np.float32) + rng.uniform(-jitter, jitter, 3), 0, 1).astype(np.float32)


def _grid(h: int, w: int):
    return np.mgrid[0:h, 0:w].astype(np.float32)


def water(rng, h, w):
    """Blue water with horizontal, slightly wavy ripples and light crests."""
    y, x = _grid(h, w)
    period = rng.uniform(4.0, 7.0)
    phase = rng.uniform(0, 2 * np.pi)
    bend = 0.25 * np.sin(2 * np.pi * x / rng.uniform(14, 30) + rng.uniform(0, 6.3))
    wave = np.sin(2 * np.pi * (y / period + bend) + phase)
    base = _colour(rng, (0.13, 0.33, 0.62))
    img = base + (0.06 * wave)[..., None] * np.float32([0.6, 0.8, 1.0])
    img += (0.12 * np.clip(wave - 0.75, 0, None) * 4)[..., None]
    img += (0.05 * smooth_noise(rng, h, w, 8))[..., None]
    return img


def rails(rng, h, w):
    """Grey-brown gravel crossed by horizontal tracks: two bright rails on dark sleepers."""
    y, x = _grid(h, w)
    img = _colour(rng, (0.46, 0.41, 0.36)) + (0.09 * rng.uniform(-1, 1, (h, w)))[..., None]
    img += (0.06 * smooth_noise(rng, h, w, 4))[..., None]
    period = rng.uniform(18, 26)
    offset = rng.uniform(0, period)
    ty = (y + offset) % period
    gauge = period * 0.42
    sleeper_gap = rng.uniform(4, 6)
    sleepers = ((x + rng.uniform(0, 6)) % sleeper_gap < 2) & (ty > 1) & (ty < gauge + 2)
    img[sleepers] = _colour(rng, (0.30, 0.20, 0.12), 0.03)
    rail = (np.abs(ty - 2) < 0.8) | (np.abs(ty - gauge) < 0.8)
    img[rail] = _colour(rng, (0.78, 0.78, 0.80), 0.04)
    return img


def sky(rng, h, w):
    """Light-blue vertical gradient with a few soft white clouds."""
    y, x = _grid(h, w)
    top, bottom = _colour(rng, (0.42, 0.62, 0.92)), _colour(rng, (0.74, 0.85, 0.97))
    t = (y / max(h - 1, 1))[..., None]
    img = top * (1 - t) + bottom * t
    for _ in range(rng.integers(1, 4)):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(3, 7), rng.uniform(8, 18)
        blob = np.exp(-(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2))
        img = img * (1 - blob[..., None] * 0.8) + 0.97 * blob[..., None] * 0.8
    return img


def grass(rng, h, w):
    """Green grass: vertical blade streaks over patchy noise."""
    img = _colour(rng, (0.26, 0.52, 0.20))
    streaks = np.repeat(rng.uniform(-1, 1, (max(h // 3, 1) + 1, w)), 3, axis=0)[:h]
    img = img + (0.08 * streaks)[..., None] * np.float32([0.6, 1.0, 0.5])
    img += (0.07 * smooth_noise(rng, h, w, 6))[..., None]
    return img


def floor(rng, h, w):
    """Wooden planks: horizontal boards of varying shade with dark seams and grain."""
    y, x = _grid(h, w)
    board = rng.uniform(6, 10)
    idx = ((y + rng.uniform(0, board)) // board).astype(int)
    shades = rng.uniform(-0.07, 0.07, idx.max() + 1).astype(np.float32)
    img = _colour(rng, (0.56, 0.38, 0.22)) + shades[idx][..., None]
    grain = np.sin(2 * np.pi * x / rng.uniform(5, 9) + 3 * smooth_noise(rng, h, w, 8))
    img += (0.035 * grain)[..., None]
    seam = ((y + rng.uniform(0, board)) % board) < 1
    img[seam] *= 0.6
    return img


def sand(rng, h, w):
    """Beige sand with speckles and faint diagonal ripples."""
    y, x = _grid(h, w)
    img = _colour(rng, (0.83, 0.73, 0.53))
    img = img + (0.05 * np.sin(2 * np.pi * (x + y) / rng.uniform(6, 10)))[..., None]
    img += (0.06 * rng.uniform(-1, 1, (h, w)))[..., None]
    return img


TEXTURES = {"water": water, "rails": rails, "sky": sky, "grass": grass, "floor": floor, "sand": sand}


def render_texture(name: str, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return np.clip(TEXTURES[name](rng, h, w), 0, 1).astype(np.float32)
