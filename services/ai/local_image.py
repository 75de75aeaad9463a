"""Image prompts and locally drawn PNG images for the local provider.

An image is a gradient whose colours come from a hash of the prompt, a few translucent shapes
and the prompt itself as text, with a small "drawn locally" caption: a real, distinct picture
per prompt, and plainly not the work of an image model.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from services.ai.local_style import sentence_case, shorten
from services.ai.schemas import ImagePromptBrief, ImagePromptDraft, ImagePromptSet

MIN_SIDE, MAX_SIDE = 16, 4096
CAPTION = "igny8 · drawn locally (no image model)"
_STYLE = "clean editorial style, natural light, no text or logos"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def build_prompts(brief: ImagePromptBrief) -> ImagePromptSet:
    """A featured prompt for the article and one per leading section, up to max_in_article."""
    topic = brief.primary_keyword.strip() or brief.title
    featured = ImagePromptDraft(
        prompt=f"Featured image for the article “{brief.title}”: {topic}, {_STYLE}.",
        alt_text=shorten(f"{sentence_case(topic)}: featured image for “{brief.title}”", 500),
    )
    in_article = [
        ImagePromptDraft(
            prompt=f"Illustration for the section “{heading}” of an article about {topic}, "
            f"{_STYLE}.",
            alt_text=shorten(f"{heading} ({topic})", 500),
        )
        for heading in [h.strip() for h in brief.section_headings if h.strip()][
            : max(0, brief.max_in_article)
        ]
    ]
    return ImagePromptSet(featured=featured, in_article=in_article)


def draw_png(prompt: str, width: int, height: int) -> bytes:
    """A width×height PNG for the prompt; the same prompt always gives the same picture."""
    digest = hashlib.sha256(prompt.encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    start, end = _colour(digest[8] / 255, 0.55, 0.85), _colour(digest[9] / 255, 0.65, 0.45)

    # A gradient from a small greyscale ramp, rotated and stretched: cheap at any size.
    ramp = Image.linear_gradient("L").rotate(rng.choice((0, 45, 90, 135)), expand=False)
    mask = ramp.resize((width, height), Image.Resampling.BILINEAR)
    image = Image.composite(
        Image.new("RGB", (width, height), end), Image.new("RGB", (width, height), start), mask
    )
    image = image.convert("RGBA")

    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    side = min(width, height)
    for _ in range(6):
        colour = (*_colour(rng.random(), 0.5, 0.95), rng.randint(40, 90))
        x, y = rng.randint(-side // 4, width), rng.randint(-side // 4, height)
        size = rng.randint(side // 6, side // 2)
        shape = rng.choice(("ellipse", "rectangle", "triangle"))
        if shape == "ellipse":
            draw.ellipse((x, y, x + size, y + size), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x, y, x + size, y + size * 2 // 3), fill=colour)
        else:
            draw.polygon([(x, y + size), (x + size // 2, y), (x + size, y + size)], fill=colour)
    _draw_text(draw, prompt, width, height)
    image = Image.alpha_composite(image, layer).convert("RGB")

    out = io.BytesIO()
    # Fast compression: these are placeholders for review, not assets to optimise.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return int(r * 255), int(g * 255), int(b * 255)


@lru_cache(maxsize=32)
def _font(size: int) -> Font:
    return ImageFont.load_default(size=max(8, size))


def _wrap(text: str, font: Font, max_width: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines:
            break
    if current and len(lines) < max_lines:
        lines.append(current)
    if len(lines) == max_lines and " ".join(lines) != " ".join(text.split()):
        lines[-1] = lines[-1].rstrip(".,;:") + "…"
    return lines


def _draw_text(draw: ImageDraw.ImageDraw, prompt: str, width: int, height: int) -> None:
    """The prompt on a translucent band in the lower part, and the caption in a corner."""
    size = max(10, height // 16)
    font = _font(size)
    margin = max(4, width // 24)
    lines = _wrap(prompt, font, width - 2 * margin, max_lines=3)
    line_height = int(size * 1.3)
    band_top = height - margin - line_height * len(lines) - margin // 2
    draw.rectangle((0, band_top - margin // 2, width, height), fill=(0, 0, 0, 110))
    for i, line in enumerate(lines):
        draw.text((margin, band_top + i * line_height), line, font=font, fill=(255, 255, 255, 235))
    small = _font(max(8, height // 36))
    draw.text((margin, margin // 2), CAPTION, font=small, fill=(255, 255, 255, 200))
