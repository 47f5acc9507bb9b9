"""The still parts of a video frame: backgrounds, props, text, the manager's card, fonts.

Everything here is drawn once per scene (or once per process, cached) and composited per frame
by ``render``; nothing here runs per frame.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bank_ai.ai.speech.text import is_cjk

BRAND = (0x0E, 0x5E, 0xA3)
BRAND_DARK = (0x08, 0x3A, 0x66)
GOLD = (0xC8, 0xA2, 0x4A)
INK = (0x1D, 0x2A, 0x3A)

# Fonts with Chinese glyphs, most likely first; STUDIO_FONT_PATH overrides them all.
_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def font_path() -> Path:
    """A font that draws Chinese and Latin text (Debian's fonts-wqy-zenhei on our machines)."""
    from django.conf import settings

    candidates: list[str] = []
    if getattr(settings, "STUDIO_FONT_PATH", ""):
        candidates.append(settings.STUDIO_FONT_PATH)
    candidates.extend(_CJK_FONTS)
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [fc_match, "-f", "%{file}", ":lang=zh-cn"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            found = ""
        if found:
            candidates.append(found)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and _draws_chinese(path):
            return path
    raise FontMissing(
        "no font with Chinese glyphs was found: install Debian's fonts-wqy-zenhei "
        "(make video-deps) "
        "or set STUDIO_FONT_PATH"
    )


def _draws_chinese(path: Path) -> bool:
    try:
        font = ImageFont.truetype(str(path), 32)
    except OSError:
        return False
    return font.getmask("银行").getbbox() is not None


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Lines that fit ``width`` pixels: Chinese breaks anywhere, other text at spaces."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if line and face.getlength(candidate) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        if line.strip():
            lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and face.getlength(lines[-1] + "…") > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in text:
        if is_cjk(ch) or ch in "，。！？、；：（）《》“”":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def draw_text_block(
    image: Image.Image,
    text: str,
    box: tuple[int, int, int, int],
    *,
    size: int,
    fill: tuple[int, ...] = INK,
    max_lines: int = 4,
    align: str = "left",
    shadow: bool = False,
) -> int:
    """Wrapped text inside ``box``; returns the y below the last line."""
    x0, y0, x1, _ = box
    face = font(size)
    draw = ImageDraw.Draw(image)
    y = y0
    for line in wrap(text, face, x1 - x0, max_lines):
        width = face.getlength(line)
        x = x0 if align == "left" else x0 + (x1 - x0 - width) / 2
        if shadow:
            draw.text((x + 2, y + 2), line, font=face, fill=(0, 0, 0, 160))
        draw.text((x, y), line, font=face, fill=fill)
        y += round(size * 1.3)
    return y


def _vertical_gradient(
    width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    colours = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    return np.broadcast_to(colours, (height, width, 3)).astype(np.uint8)


def _branch_hall(width: int, height: int) -> Image.Image:
    """A bright branch hall: wall, windows, the bank's stripe and a floor."""
    image = Image.fromarray(
        _vertical_gradient(width, height, (0xF4, 0xF8, 0xFC), (0xDC, 0xE7, 0xF2))
    )
    draw = ImageDraw.Draw(image)
    floor = round(height * 0.78)
    draw.rectangle([0, floor, width, height], fill=(0xC9, 0xD3, 0xDE))
    pane_w = max(40, width // 7)
    for index in range(-1, width // pane_w + 1):
        x = index * pane_w + pane_w // 4
        draw.rectangle(
            [x, round(height * 0.1), x + pane_w - pane_w // 5, round(height * 0.55)],
            fill=(0xE8, 0xF1, 0xFA),
        )
    draw.rectangle([0, round(height * 0.6), width, round(height * 0.63)], fill=BRAND)
    draw.rectangle([0, round(height * 0.63), width, round(height * 0.64)], fill=GOLD)
    return image


def _studio_blue(width: int, height: int) -> Image.Image:
    image = Image.fromarray(
        _vertical_gradient(width, height, (0x12, 0x6C, 0xB8), (0x06, 0x2B, 0x4D))
    )
    draw = ImageDraw.Draw(image)
    for index in range(6):  # soft diagonal light bands
        x = round(width * (index / 5))
        draw.polygon(
            [(x, 0), (x + width // 12, 0), (x - width // 6, height), (x - width // 4, height)],
            fill=(0x16, 0x74, 0xC2),
        )
    return image


def _city_view(width: int, height: int) -> Image.Image:
    image = Image.fromarray(
        _vertical_gradient(width, height, (0xBF, 0xDD, 0xF5), (0xF6, 0xE7, 0xD2))
    )
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(7)  # the same skyline in every video
    x = 0
    while x < width:
        w = int(rng.integers(width // 20, width // 9))
        h = int(rng.integers(height // 6, height // 2))
        shade = int(rng.integers(0x8A, 0xB0))
        draw.rectangle([x, height - h, x + w, height], fill=(shade - 30, shade - 10, shade + 20))
        x += w + int(rng.integers(2, width // 60 + 3))
    return image


def _plain_light(width: int, height: int) -> Image.Image:
    return Image.fromarray(
        _vertical_gradient(width, height, (0xFB, 0xFC, 0xFE), (0xEC, 0xF1, 0xF6))
    )


BACKGROUNDS = {
    "branch_hall": _branch_hall,
    "studio_blue": _studio_blue,
    "city_view": _city_view,
    "plain_light": _plain_light,
}
# Backgrounds dark enough to need light text.
DARK_BACKGROUNDS = {"studio_blue"}


@lru_cache(maxsize=16)
def background(key: str, width: int, height: int) -> Image.Image:
    return BACKGROUNDS[key](width, height).convert("RGB")


def _card(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, round(size * 0.63)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    w, h = image.size
    draw.rounded_rectangle([0, 0, w - 1, h - 1], radius=size // 14, fill=(*BRAND, 255))
    draw.rounded_rectangle(
        [w * 0.08, h * 0.3, w * 0.25, h * 0.5], radius=size // 60, fill=(*GOLD, 255)
    )
    draw.rectangle([w * 0.08, h * 0.68, w * 0.75, h * 0.74], fill=(220, 232, 245, 255))
    draw.ellipse([w * 0.7, h * 0.12, w * 0.82, h * 0.3], fill=(0xE0, 0x5A, 0x47, 255))
    draw.ellipse([w * 0.78, h * 0.12, w * 0.9, h * 0.3], fill=(0xF2, 0xA6, 0x3B, 230))
    return image


def _chart(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, round(size * 0.75)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    w, h = image.size
    draw.rounded_rectangle(
        [0, 0, w - 1, h - 1],
        radius=size // 20,
        fill=(255, 255, 255, 240),
        outline=(*BRAND, 255),
        width=max(2, size // 80),
    )
    bars = (0.35, 0.5, 0.45, 0.7, 0.85)
    bar_w = w * 0.12
    for index, level in enumerate(bars):
        x = w * 0.1 + index * bar_w * 1.5
        draw.rectangle(
            [x, h * (0.9 - 0.75 * level), x + bar_w, h * 0.9],
            fill=(*(GOLD if index == len(bars) - 1 else BRAND), 255),
        )
    return image


def _phone(size: int) -> Image.Image:
    image = Image.new("RGBA", (round(size * 0.52), size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    w, h = image.size
    draw.rounded_rectangle([0, 0, w - 1, h - 1], radius=w // 6, fill=(0x22, 0x26, 0x30, 255))
    draw.rounded_rectangle(
        [w * 0.07, h * 0.06, w * 0.93, h * 0.9], radius=w // 14, fill=(0xE6, 0xF0, 0xFA, 255)
    )
    draw.rectangle([w * 0.15, h * 0.12, w * 0.85, h * 0.22], fill=(*BRAND, 255))
    for row in range(3):
        draw.rounded_rectangle(
            [w * 0.15, h * (0.3 + row * 0.17), w * 0.85, h * (0.42 + row * 0.17)],
            radius=w // 20,
            fill=(255, 255, 255, 255),
        )
    return image


def _shield(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size
    draw.polygon(
        [
            (s * 0.5, s * 0.04),
            (s * 0.92, s * 0.2),
            (s * 0.85, s * 0.62),
            (s * 0.5, s * 0.96),
            (s * 0.15, s * 0.62),
            (s * 0.08, s * 0.2),
        ],
        fill=(*BRAND, 255),
    )
    draw.line(
        [(s * 0.3, s * 0.5), (s * 0.45, s * 0.65), (s * 0.72, s * 0.35)],
        fill=(255, 255, 255, 255),
        width=max(3, s // 12),
        joint="curve",
    )
    return image


def _coins(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for index in range(5):
        y = size * (0.75 - index * 0.12)
        draw.ellipse(
            [size * 0.15, y - size * 0.1, size * 0.85, y + size * 0.1],
            fill=(*GOLD, 255),
            outline=(0x9A, 0x7A, 0x2E, 255),
            width=max(2, size // 50),
        )
    return image


PROPS = {"credit_card": _card, "chart": _chart, "phone": _phone, "shield": _shield, "coins": _coins}


@lru_cache(maxsize=32)
def prop(key: str, size: int) -> Image.Image:
    return PROPS[key](size)


def qr_image(payload: str, size: int) -> Image.Image:
    """A QR code (segno's encoder; the modules are drawn here) with its quiet zone."""
    import segno

    code = segno.make(payload, error="m", micro=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    border = 2
    matrix = np.pad(matrix, border)
    pixels = np.where(matrix[..., None] > 0, 0, 255).astype(np.uint8).repeat(3, axis=2)
    return Image.fromarray(pixels).resize((size, size), Image.Resampling.NEAREST)


def personal_card(
    *, name: str, title: str, contact: str, qr_payload: str, photo_path: Path | None, width: int
) -> Image.Image:
    """The wealth manager's card: photo, name, title, contact and a QR code to reach them."""
    height = round(width * 0.36)
    card = Image.new("RGBA", (width, height), (255, 255, 255, 235))
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, max(4, width // 70), height], fill=(*GOLD, 255))
    pad = height // 10
    x = pad * 2
    photo_size = height - 2 * pad
    if photo_path:
        with Image.open(photo_path) as source:
            photo = source.convert("RGB")
        side = min(photo.size)
        photo = photo.crop(
            (
                (photo.width - side) // 2,
                (photo.height - side) // 2,
                (photo.width + side) // 2,
                (photo.height + side) // 2,
            )
        )
        photo = photo.resize((photo_size, photo_size), Image.Resampling.LANCZOS)
        mask = Image.new("L", photo.size, 0)
        ImageDraw.Draw(mask).ellipse([0, 0, photo_size - 1, photo_size - 1], fill=255)
        card.paste(photo, (x, pad), mask)
        x += photo_size + pad
    qr_size = photo_size if qr_payload else 0
    text_right = width - (qr_size + 2 * pad if qr_payload else pad)
    y = draw_text_block(
        card,
        name,
        (x, pad, text_right, height),
        size=max(12, height // 5),
        fill=(*BRAND_DARK, 255),
        max_lines=1,
    )
    y = draw_text_block(
        card,
        title,
        (x, y, text_right, height),
        size=max(10, height // 8),
        fill=(*INK, 255),
        max_lines=2,
    )
    draw_text_block(
        card,
        contact,
        (x, y + pad // 2, text_right, height),
        size=max(10, height // 9),
        fill=(*BRAND, 255),
        max_lines=2,
    )
    if qr_payload:
        card.paste(qr_image(qr_payload, qr_size), (width - qr_size - pad, pad))
    return card


def fit_logo(path: Path, max_width: int, max_height: int) -> Image.Image:
    with Image.open(path) as source:
        logo = source.convert("RGBA")
    logo.thumbnail((max_width, max_height), Image.Resampling.LANCZOS)
    return logo


def default_logo(height: int, label: str) -> Image.Image:
    """The bank's mark as on the live pages' badge: "HB" on gold, with the bank's name."""
    face = font(round(height * 0.45))
    width = height + round(face.getlength(label)) + height // 3
    logo = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle([0, 0, height - 1, height - 1], radius=height // 5, fill=(*GOLD, 255))
    mark = font(round(height * 0.42))
    draw.text((height / 2, height / 2), "HB", font=mark, fill=(*BRAND_DARK, 255), anchor="mm")
    draw.text(
        (height + height // 4, height / 2), label, font=face, fill=(*BRAND_DARK, 255), anchor="lm"
    )
    return logo
