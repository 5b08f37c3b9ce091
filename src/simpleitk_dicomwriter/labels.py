"""The preview a person reads at a glance: named panels, orientation letters, scale bars.

:func:`~simpleitk_dicomwriter.preview.preview_image` gives the geometry-true
panels; this module enlarges each to a readable size and draws, with Pillow,
what a radiologist looks for first: the name of each view (and which slice),
the patient directions on its edges (R/L, A/P, S/I), a scale bar in mm, and
the window the values are shown in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

__all__ = ["Panel", "compose"]

_MARGIN = 22  # around each panel, room for the edge letters
_TITLE = 20  # above each panel
_FOOTER = 24
_BACKGROUND, _INK = 24, 235


@dataclass(frozen=True)
class Panel:
    """One view: its pixels (square, ``mm`` wide), name and edge letters.

    ``edges`` are the patient directions at the (top, bottom, left, right) edges.
    """

    pixels: npt.NDArray[np.uint8]
    mm: float
    title: str
    edges: tuple[str, str, str, str]


Font = ImageFont.ImageFont | ImageFont.FreeTypeFont


def _font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def _bar_length(width_mm: float) -> float:
    """A round length near a quarter of the panel width: 1, 2, 5, 10, 20, 50, ... mm."""
    target = max(width_mm / 4, 1e-3)
    magnitude = 10 ** np.floor(np.log10(target))
    return float(max(s * magnitude for s in (1, 2, 5) if s * magnitude <= target))


def _draw_panel(
    canvas: Image.Image, panel: Panel, left: int, top: int, size: int, font: Font
) -> None:
    rows, columns = panel.pixels.shape
    scale = size / max(rows, columns)
    shape = (max(1, round(columns * scale)), max(1, round(rows * scale)))
    picture = Image.fromarray(panel.pixels).resize(shape, Image.Resampling.BILINEAR)
    x0 = left + _MARGIN + (size - shape[0]) // 2
    y0 = top + _TITLE + _MARGIN + (size - shape[1]) // 2
    canvas.paste(picture, (x0, y0))
    draw = ImageDraw.Draw(canvas)
    draw.text((left + _MARGIN, top + 2), panel.title, fill=_INK, font=font)
    top_letter, bottom_letter, left_letter, right_letter = panel.edges
    middle_x, middle_y = x0 + shape[0] // 2, y0 + shape[1] // 2
    draw.text((middle_x, y0 - 3), top_letter, fill=_INK, font=font, anchor="md")
    draw.text((middle_x, y0 + shape[1] + 3), bottom_letter, fill=_INK, font=font, anchor="ma")
    draw.text((x0 - 4, middle_y), left_letter, fill=_INK, font=font, anchor="rm")
    draw.text((x0 + shape[0] + 4, middle_y), right_letter, fill=_INK, font=font, anchor="lm")
    # The scale bar, inside the picture's lower left corner.
    mm_per_pixel = panel.mm / scale
    length_mm = _bar_length(shape[0] * mm_per_pixel)
    length = max(1, round(length_mm / mm_per_pixel))
    bar_y = y0 + shape[1] - 8
    # A dark backing keeps bar and label readable over bright anatomy.
    draw.rectangle((x0 + 2, bar_y - 22, x0 + 10 + max(length, 48), bar_y + 3), fill=_BACKGROUND)
    draw.rectangle((x0 + 6, bar_y - 2, x0 + 6 + length, bar_y), fill=_INK)
    draw.text((x0 + 6, bar_y - 4), f"{length_mm:g} mm", fill=_INK, font=font, anchor="ld")


def compose(panels: list[Panel], footer: list[str], size: int = 320) -> npt.NDArray[np.uint8]:
    """The labelled picture: panels two to a row, each enlarged to ``size`` pixels,
    and the ``footer`` lines below them."""
    font = _font(14)
    columns = min(2, len(panels))
    rows = (len(panels) + columns - 1) // columns
    cell_w, cell_h = size + 2 * _MARGIN, size + 2 * _MARGIN + _TITLE
    height = rows * cell_h + _FOOTER * len(footer)
    canvas = Image.new("L", (columns * cell_w, height), _BACKGROUND)
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        _draw_panel(canvas, panel, column * cell_w, row * cell_h, size, font)
    draw = ImageDraw.Draw(canvas)
    for number, line in enumerate(footer):
        draw.text((_MARGIN, rows * cell_h + 4 + number * _FOOTER), line, fill=_INK, font=font)
    return np.asarray(canvas, dtype=np.uint8)
