"""The avatar for rendered videos: the same character as the live pages' SVG figure.

``devices/templates/devices/avatar_figure.html`` is the source: its paths are copied here
verbatim and drawn with Pillow (4× supersampled, then reduced, for smooth edges), so the face,
hair and outfit match what customers see on the hall screens. Only the outfit colours and the
arm angles (the CSS gestures' rotations) vary with the style and pose.

Sprites are cached per (size, outfit, pose, mouth shape, blink, smile): a video uses a few dozen.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from PIL import Image, ImageDraw

VIEW_W, VIEW_H = 320, 360
SUPERSAMPLE = 2

SKIN_TOP, SKIN_BOTTOM = (0xF8, 0xDC, 0xC4), (0xEE, 0xC5, 0xA6)
HAIR = (0x2B, 0x2F, 0x3A)
MOUTH = (0xA8, 0x43, 0x4B)
GOLD = (0xC8, 0xA2, 0x4A)
# The SVG paints #f3a7a0 at 35 % opacity over the skin; Pillow replaces alpha, so pre-blend it.
CHEEK = (0xF3, 0xC2, 0xAE, 255)

# Jacket gradient (top, bottom) per outfit; navy_suit is the live figure's.
OUTFITS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "navy_suit": ((0x0E, 0x5E, 0xA3), (0x08, 0x3A, 0x66)),
    "charcoal_suit": ((0x4A, 0x4F, 0x5A), (0x2B, 0x2F, 0x3A)),
    "teal_blazer": ((0x13, 0x8A, 0x8A), (0x0B, 0x5C, 0x5C)),
    "burgundy_blazer": ((0x8C, 0x2F, 0x39), (0x5C, 0x1A, 0x22)),
}
# Arm rotations in degrees (right arm, left arm) about the shoulders, as the CSS gestures do.
POSES: dict[str, tuple[float, float]] = {
    "neutral": (0.0, 0.0),
    "present": (-28.0, 28.0),
    "point": (-28.0, 0.0),
    "wave": (-50.0, 0.0),
    "explain": (-14.0, 10.0),
}
RIGHT_SHOULDER, LEFT_SHOULDER = (236.0, 292.0), (84.0, 292.0)
# Brows, eyes and mouth (with the open jaw) lie inside this box of the viewBox.
FACE_BOX = (112.0, 116.0, 208.0, 214.0)

BODY = "M60 360c4-70 40-104 100-104s96 34 100 104z"
SHIRT = "M136 258l24 40 24-40-24-6z"
TIE = "M150 262l10 22 10-22-10-4z"
RIGHT_ARM = "M236 292c18 6 30 22 34 44l-22 10c-6-16-14-26-26-30z"
LEFT_ARM = "M84 292c-18 6-30 22-34 44l22 10c6-16 14-26 26-30z"
HAIR_BACK = "M96 130c0-50 28-82 64-82s64 32 64 82v20H96z"
FRINGE = "M102 126c10-38 34-56 62-56 24 0 46 14 56 44-22-6-44-18-58-34-12 20-36 38-60 46z"

_NUMBER = re.compile(r"[-+]?(?:\d*\.\d+|\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"[MmLlHhVvCcSsQqZz]|[-+]?(?:\d*\.\d+|\d+)(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "Z": 0}


def path_points(d: str, steps: int = 16) -> list[tuple[float, float]]:
    """A polygon approximating an SVG path (the commands the figure uses: M L H V C S Q Z)."""
    tokens = _TOKEN.findall(d)
    points: list[tuple[float, float]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    last_control: tuple[float, float] | None = None
    command = ""
    index = 0
    while index < len(tokens):
        if not _NUMBER.fullmatch(tokens[index]):
            command = tokens[index]
            index += 1
            if command in "Zz":
                points.append(start)
                x, y = start
                continue
        upper = command.upper()
        args = [float(t) for t in tokens[index : index + _ARITY[upper]]]
        index += _ARITY[upper]
        relative = command.islower()
        ox, oy = (x, y) if relative else (0.0, 0.0)
        if upper == "M":
            x, y = ox + args[0], oy + args[1]
            start = (x, y)
            points.append((x, y))
            command = "l" if relative else "L"  # implicit line-tos follow a move-to
            last_control = None
        elif upper == "L":
            x, y = ox + args[0], oy + args[1]
            points.append((x, y))
            last_control = None
        elif upper == "H":
            x = (x if relative else 0.0) + args[0]
            points.append((x, y))
        elif upper == "V":
            y = (y if relative else 0.0) + args[0]
            points.append((x, y))
        elif upper in ("C", "S"):
            if upper == "C":
                c1 = (ox + args[0], oy + args[1])
                c2, end = (ox + args[2], oy + args[3]), (ox + args[4], oy + args[5])
            else:
                c1 = (2 * x - last_control[0], 2 * y - last_control[1]) if last_control else (x, y)
                c2, end = (ox + args[0], oy + args[1]), (ox + args[2], oy + args[3])
            for step in range(1, steps + 1):
                t = step / steps
                u = 1 - t
                points.append(
                    (
                        u**3 * x + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * end[0],
                        u**3 * y + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * end[1],
                    )
                )
            last_control = c2
            x, y = end
        elif upper == "Q":
            c, end = (ox + args[0], oy + args[1]), (ox + args[2], oy + args[3])
            for step in range(1, steps + 1):
                t = step / steps
                u = 1 - t
                points.append(
                    (
                        u * u * x + 2 * u * t * c[0] + t * t * end[0],
                        u * u * y + 2 * u * t * c[1] + t * t * end[1],
                    )
                )
            last_control = None
            x, y = end
    return points


def _rotate(
    points: list[tuple[float, float]], origin: tuple[float, float], degrees: float
) -> list[tuple[float, float]]:
    if not degrees:
        return points
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = origin
    return [
        (cx + (px - cx) * cos - (py - cy) * sin, cy + (px - cx) * sin + (py - cy) * cos)
        for px, py in points
    ]


class _Canvas:
    """Draws in the SVG's coordinates onto a supersampled RGBA image."""

    def __init__(self, scale: float) -> None:
        self.k = scale * SUPERSAMPLE
        self.image = Image.new(
            "RGBA", (round(VIEW_W * self.k), round(VIEW_H * self.k)), (0, 0, 0, 0)
        )
        self.draw = ImageDraw.Draw(self.image)
        self.offset = (0, 0)  # of this image's top-left in the full supersampled figure

    def _xy(self, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        ox, oy = self.offset
        return [(px * self.k - ox, py * self.k - oy) for px, py in points]

    def polygon(self, points: list[tuple[float, float]], fill: tuple[int, ...]) -> None:
        self.draw.polygon(self._xy(points), fill=fill)

    def gradient_polygon(
        self,
        points: list[tuple[float, float]],
        top: tuple[int, int, int],
        bottom: tuple[int, int, int],
    ) -> None:
        """A fill like SVG's vertical objectBoundingBox linearGradient."""
        xy = self._xy(points)
        left = max(0, math.floor(min(px for px, _ in xy)))
        top_y = max(0, math.floor(min(py for _, py in xy)))
        right_x = min(self.image.width, math.ceil(max(px for px, _ in xy)) + 1)
        bottom_y = min(self.image.height, math.ceil(max(py for _, py in xy)) + 1)
        if right_x <= left or bottom_y <= top_y:
            return
        mask = Image.new("L", (right_x - left, bottom_y - top_y), 0)
        ImageDraw.Draw(mask).polygon([(px - left, py - top_y) for px, py in xy], fill=255)
        height = bottom_y - top_y
        ramp = Image.linear_gradient("L").resize((1, height))
        gradient = Image.merge(
            "RGB",
            [
                ramp.point(lambda v, a=a, b=b: round(a + (b - a) * v / 255))
                for a, b in zip(top, bottom, strict=True)
            ],
        ).resize((right_x - left, height))
        self.image.paste(gradient, (left, top_y), mask)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: tuple[int, ...]) -> None:
        k, (ox, oy) = self.k, self.offset
        self.draw.ellipse(
            [(cx - rx) * k - ox, (cy - ry) * k - oy, (cx + rx) * k - ox, (cy + ry) * k - oy],
            fill=fill,
        )

    def stroke(
        self, points: list[tuple[float, float]], colour: tuple[int, ...], width: float
    ) -> None:
        w = max(1, round(width * self.k))
        xy = self._xy(points)
        self.draw.line(xy, fill=colour, width=w, joint="curve")
        r = w / 2
        for px, py in (xy[0], xy[-1]):  # round line caps
            self.draw.ellipse([px - r, py - r, px + r, py + r], fill=colour)

    def result(self, scale: float) -> Image.Image:
        return self.image.resize(
            (round(VIEW_W * scale), round(VIEW_H * scale)), Image.Resampling.LANCZOS
        )


@lru_cache(maxsize=32)
def _figure_without_face(height: int, outfit: str, pose: str) -> _Canvas:
    """Everything but eyes and mouth, supersampled; the per-frame variants are drawn over a copy."""
    scale = height / VIEW_H
    canvas = _Canvas(scale)
    jacket_top, jacket_bottom = OUTFITS[outfit]
    right, left = POSES[pose]

    canvas.gradient_polygon(path_points(BODY), jacket_top, jacket_bottom)
    canvas.polygon(path_points(SHIRT), (255, 255, 255, 255))
    canvas.polygon(path_points(TIE), (*GOLD, 255))
    canvas.gradient_polygon(path_points("M146 226h28v34h-28z"), SKIN_TOP, SKIN_BOTTOM)  # neck
    for arm, shoulder, angle, hand in (
        (RIGHT_ARM, RIGHT_SHOULDER, right, (262.0, 342.0)),
        (LEFT_ARM, LEFT_SHOULDER, left, (58.0, 342.0)),
    ):
        canvas.gradient_polygon(
            _rotate(path_points(arm), shoulder, angle), jacket_top, jacket_bottom
        )
        ((hx, hy),) = _rotate([hand], shoulder, angle)
        canvas.ellipse(hx, hy, 11, 11, (*SKIN_BOTTOM, 255))
    canvas.polygon(path_points("M196 296h34v12h-34z"), (*GOLD, 255))  # the "HB" badge

    canvas.polygon(path_points(HAIR_BACK), (*HAIR, 255))
    canvas.gradient_polygon(
        [
            (160 + 58 * math.cos(a / 64 * 2 * math.pi), 150 + 70 * math.sin(a / 64 * 2 * math.pi))
            for a in range(64)
        ],
        SKIN_TOP,
        SKIN_BOTTOM,
    )
    canvas.polygon(path_points(FRINGE), (*HAIR, 255))
    canvas.ellipse(102, 156, 8, 13, (*SKIN_BOTTOM, 255))
    canvas.ellipse(218, 156, 8, 13, (*SKIN_BOTTOM, 255))
    canvas.ellipse(122, 172, 10, 6, CHEEK)
    canvas.ellipse(198, 172, 10, 6, CHEEK)
    canvas.stroke(path_points("M160 152q-4 14 0 18"), (0xD9, 0xA9, 0x8A, 255), 3)
    return canvas


@lru_cache(maxsize=256)
def avatar_sprite(
    height: int,
    outfit: str,
    pose: str,
    mouth_open: float,
    mouth_width: float,
    blink: bool,
    smile: bool,
) -> Image.Image:
    """The figure as an RGBA image ``height`` pixels tall (the viewBox's 320×360 aspect)."""
    base = _figure_without_face(height, outfit, pose)
    scale = height / VIEW_H
    # Only the face changes between sprites: redraw that box, supersampled, and paste it.
    x0, y0 = math.floor(FACE_BOX[0] * scale), math.floor(FACE_BOX[1] * scale)
    x1, y1 = math.ceil(FACE_BOX[2] * scale), math.ceil(FACE_BOX[3] * scale)
    canvas = _Canvas.__new__(_Canvas)
    canvas.k = base.k
    canvas.offset = (x0 * SUPERSAMPLE, y0 * SUPERSAMPLE)
    canvas.image = base.image.crop(
        (x0 * SUPERSAMPLE, y0 * SUPERSAMPLE, x1 * SUPERSAMPLE, y1 * SUPERSAMPLE)
    )
    canvas.draw = ImageDraw.Draw(canvas.image)
    canvas.stroke(path_points("M124 128q12-8 24 0"), (*HAIR, 255), 4)
    canvas.stroke(path_points("M172 128q12-8 24 0"), (*HAIR, 255), 4)
    if blink:
        canvas.ellipse(136, 146, 7, 1.2, (*HAIR, 255))
        canvas.ellipse(184, 146, 7, 1.2, (*HAIR, 255))
    else:
        canvas.ellipse(136, 146, 7, 8, (*HAIR, 255))
        canvas.ellipse(184, 146, 7, 8, (*HAIR, 255))
        canvas.ellipse(138, 143, 2, 2, (255, 255, 255, 255))
        canvas.ellipse(186, 143, 2, 2, (255, 255, 255, 255))
    # The live client's mouth: ry = 2 + 13·open, rx = 14 − 3·open (avatar-client.js).
    canvas.ellipse(
        160, 190, (14 - 3 * mouth_open) * mouth_width, 2 + 13 * mouth_open, (*MOUTH, 255)
    )
    if mouth_open > 0.4:  # a hint of teeth and tongue when the jaw is open
        ry = 2 + 13 * mouth_open
        canvas.ellipse(
            160,
            190 - ry * 0.55,
            (9 - 2 * mouth_open) * mouth_width,
            ry * 0.25,
            (250, 246, 240, 255),
        )
        canvas.ellipse(160, 190 + ry * 0.5, 7 * mouth_width, ry * 0.3, (0xC8, 0x5A, 0x60, 255))
    if smile:
        canvas.stroke(path_points("M144 187q16 12 32 0"), (*MOUTH, 255), 3)
    sprite = _reduced(height, outfit, pose).copy()
    sprite.paste(canvas.image.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS), (x0, y0))
    return sprite


@lru_cache(maxsize=32)
def _reduced(height: int, outfit: str, pose: str) -> Image.Image:
    return _figure_without_face(height, outfit, pose).result(height / VIEW_H)
