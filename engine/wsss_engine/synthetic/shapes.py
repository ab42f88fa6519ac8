"""Object classes of the synthetic world: two-part shapes with class-specific textures and sizes.

Every renderer is ``(rng, h, w, cx, cy, s, flip) -> (mask bool (h, w), rgb float32 (h, w, 3))`` where ``s``
is the object's size in pixels. The two parts (hull + sail, body + wheels, fuselage + wings, ...) matter:
a CAM that covers only the most recognisable part is the partial-activation failure CLIMS's L_OTM
(docs/METHOD.md §1.4) pushes against.
"""

from __future__ import annotations

import numpy as np

from .textures import smooth_noise


def _grid(h, w, cx, flip):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if flip:
        x = 2 * cx - x
    return y, x


def _paint(rgb, mask, colour, noise=None, amount=0.0):
    layer = np.broadcast_to(np.asarray(colour, np.float32), rgb.shape).copy()
    if noise is not None:
        layer += (amount * noise)[..., None]
    rgb[mask] = layer[mask]


def _jitter(rng, colour, amount=0.08):
    return np.clip(np.asarray(colour, np.float32) * rng.uniform(1 - amount, 1 + amount, 3), 0, 1)


def boat(rng, h, w, cx, cy, s, flip):
    """Hull (trapezoid, dark wood or paint) + sail (white triangle) on a thin mast."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    top, depth = cy, 0.24 * s
    t = (y - top) / depth
    half = 0.5 * s - 0.18 * s * t
    hull = (t >= 0) & (t <= 1) & (np.abs(x - cx) <= half)
    sail_h = 0.65 * s
    u = (cy - 1 - y) / sail_h  # 0 at the boom, 1 at the top
    sail = (u >= 0) & (u <= 1) & (x >= cx + 1) & (x <= cx + 1 + 0.38 * s * (1 - u))
    mast = (np.abs(x - cx) < 0.6) & (u >= 0) & (u <= 1.02)
    hull_colour = _jitter(rng, [(0.45, 0.22, 0.10), (0.55, 0.10, 0.10), (0.12, 0.16, 0.35)][rng.integers(3)])
    _paint(rgb, hull, hull_colour, smooth_noise(rng, h, w, 3), 0.05)
    stripes = (np.sin(2 * np.pi * y / rng.uniform(4, 7)) > 0.7).astype(np.float32)
    _paint(rgb, sail, _jitter(rng, (0.95, 0.93, 0.86), 0.04), -stripes, 0.12)
    _paint(rgb, mast, (0.25, 0.18, 0.10))
    return hull | sail | mast, rgb


def train(rng, h, w, cx, cy, s, flip):
    """Long body with a row of windows (texture) + a row of dark wheels."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    body = (np.abs(x - cx) <= 0.5 * s) & (y >= cy - 0.22 * s) & (y <= cy + 0.10 * s)
    nose = (x > cx + 0.5 * s) & (x <= cx + 0.58 * s) & (y >= cy - 0.08 * s) & (y <= cy + 0.10 * s)
    pitch = rng.uniform(4.5, 6.5)
    windows = body & ((x - cx) % pitch < pitch * 0.55) & (y >= cy - 0.17 * s) & (y <= cy - 0.06 * s)
    wheel_r = max(0.075 * s, 1.4)
    wy = cy + 0.10 * s + wheel_r * 0.7
    k = np.round((x - cx) / (0.22 * s))
    wx = cx + k * 0.22 * s
    wheels = (np.abs(k) <= 2) & ((x - wx) ** 2 + (y - wy) ** 2 <= wheel_r**2)
    body_colour = _jitter(rng, [(0.75, 0.12, 0.10), (0.10, 0.45, 0.20), (0.15, 0.25, 0.70)][rng.integers(3)])
    _paint(rgb, body | nose, body_colour, smooth_noise(rng, h, w, 4), 0.04)
    _paint(rgb, windows, _jitter(rng, (0.85, 0.90, 0.95), 0.05))
    _paint(rgb, wheels, (0.10, 0.10, 0.12))
    return body | nose | wheels, rgb


def aeroplane(rng, h, w, cx, cy, s, flip):
    """Slim fuselage (ellipse with a coloured stripe) + swept wings and a tail fin."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    fuselage = ((x - cx) / (0.5 * s)) ** 2 + ((y - cy) / max(0.085 * s, 1.3)) ** 2 <= 1
    d = np.abs(y - cy)
    wings = (d <= 0.42 * s) & (np.abs(x - cx + 0.3 * d) <= 0.075 * s + 0.6)
    tail = (
        (x >= cx - 0.5 * s)
        & (x <= cx - 0.36 * s)
        & (d <= 0.16 * s)
        & (np.abs(x - cx + 0.43 * s + 0.3 * d) <= 0.06 * s + 0.6)
    )
    body_colour = _jitter(rng, (0.88, 0.89, 0.92), 0.04)
    _paint(rgb, wings | tail, body_colour * 0.82)
    _paint(rgb, fuselage, body_colour)
    stripe = fuselage & (np.abs(y - cy) < 0.6)
    _paint(rgb, stripe, _jitter(rng, [(0.80, 0.10, 0.10), (0.10, 0.20, 0.70)][rng.integers(2)]))
    return fuselage | wings | tail, rgb


def sheep(rng, h, w, cx, cy, s, flip):
    """Fluffy white body (union of bumps, woolly texture) + small dark head and legs."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    body = ((x - cx) / (0.45 * s)) ** 2 + ((y - cy) / (0.28 * s)) ** 2 <= 1
    for a in np.linspace(0, 2 * np.pi, 7, endpoint=False) + rng.uniform(0, 1):
        bx, by = cx + 0.42 * s * np.cos(a), cy + 0.25 * s * np.sin(a)
        body |= (x - bx) ** 2 + (y - by) ** 2 <= (0.12 * s) ** 2
    head = ((x - cx - 0.55 * s) / (0.15 * s)) ** 2 + ((y - cy + 0.12 * s) / (0.11 * s)) ** 2 <= 1
    legs = (
        (y > cy + 0.2 * s)
        & (y <= cy + 0.48 * s)
        & (
            (np.abs(x - cx + 0.25 * s) < 0.05 * s + 0.5)
            | (np.abs(x - cx + 0.10 * s) < 0.05 * s + 0.5)
            | (np.abs(x - cx - 0.15 * s) < 0.05 * s + 0.5)
            | (np.abs(x - cx - 0.28 * s) < 0.05 * s + 0.5)
        )
    )
    wool = np.sin(x * 2.1 + 1.3 * smooth_noise(rng, h, w, 2) * 3) * np.sin(y * 2.3)
    dark = _jitter(rng, (0.16, 0.13, 0.12), 0.2)
    _paint(rgb, legs, dark)
    _paint(rgb, body, _jitter(rng, (0.90, 0.89, 0.84), 0.04), wool, 0.10)
    _paint(rgb, head, dark)
    return body | head | legs, rgb


def bottle(rng, h, w, cx, cy, s, flip):
    """Tall glass body with a label band and a highlight (texture) + narrow neck with a cap."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    bw = 0.2 * s
    body = (np.abs(x - cx) <= bw) & (y >= cy - 0.12 * s) & (y <= cy + 0.5 * s)
    shoulder = (
        (y < cy - 0.12 * s) & (y >= cy - 0.22 * s) & (np.abs(x - cx) <= bw * (1 - (cy - 0.12 * s - y) / (0.2 * s)))
    )
    neck = (np.abs(x - cx) <= max(0.07 * s, 0.9)) & (y >= cy - 0.45 * s) & (y < cy - 0.12 * s)
    cap = (np.abs(x - cx) <= max(0.09 * s, 1.1)) & (y >= cy - 0.52 * s) & (y < cy - 0.43 * s)
    glass = _jitter(rng, [(0.12, 0.45, 0.18), (0.42, 0.22, 0.08), (0.55, 0.70, 0.80)][rng.integers(3)])
    _paint(rgb, body | shoulder | neck, glass)
    highlight = (body | neck) & (np.abs(x - cx + bw * 0.5) < 0.7)
    _paint(rgb, highlight, np.clip(glass + 0.35, 0, 1))
    label = body & (y >= cy + 0.08 * s) & (y <= cy + 0.28 * s)
    _paint(rgb, label, _jitter(rng, (0.92, 0.90, 0.80), 0.05))
    _paint(rgb, cap, _jitter(rng, (0.75, 0.65, 0.15), 0.1))
    return body | shoulder | neck | cap, rgb


def sofa(rng, h, w, cx, cy, s, flip):
    """Low wide seat with armrests + tall backrest, in a woven fabric with cushion seams."""
    y, x = _grid(h, w, cx, flip)
    rgb = np.zeros((h, w, 3), np.float32)
    seat = (np.abs(x - cx) <= 0.42 * s) & (y >= cy) & (y <= cy + 0.2 * s)
    back = (np.abs(x - cx) <= 0.42 * s) & (y >= cy - 0.26 * s) & (y < cy)
    arms = (np.abs(x - cx) > 0.42 * s) & (np.abs(x - cx) <= 0.52 * s) & (y >= cy - 0.1 * s) & (y <= cy + 0.2 * s)
    legs = (y > cy + 0.2 * s) & (y <= cy + 0.27 * s) & (np.abs(np.abs(x - cx) - 0.45 * s) < 0.6)
    fabric = _jitter(rng, [(0.62, 0.12, 0.18), (0.35, 0.18, 0.50), (0.10, 0.45, 0.48)][rng.integers(3)])
    weave = np.sin(x * 2.6) * np.sin(y * 2.6)
    _paint(rgb, back, fabric * 0.85, weave, 0.05)
    _paint(rgb, seat | arms, fabric, weave, 0.05)
    seams = (seat | back) & (np.abs((x - cx) % (0.28 * s) - 0.14 * s) < 0.45)
    _paint(rgb, seams, fabric * 0.6)
    _paint(rgb, legs, (0.15, 0.10, 0.06))
    return seat | back | arms | legs, rgb


# class name -> (renderer, size range in pixels at 64 px image size)
SHAPES = {
    "aeroplane": (aeroplane, (28, 42)),
    "boat": (boat, (24, 34)),
    "bottle": (bottle, (22, 32)),
    "sheep": (sheep, (18, 28)),
    "sofa": (sofa, (28, 38)),
    "train": (train, (34, 48)),
}
