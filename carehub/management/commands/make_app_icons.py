"""Draw the installed app's icons (static/img/icon-192.png, icon-512.png) from the favicon's design.

The PNG files are committed; run this again only when the design changes:
``python manage.py make_app_icons``.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

from carehub.pwa import ICON_SIZES

#: static/img/favicon.svg on its 32-unit grid: a rounded square and a cross.
BLUE = "#0b5cad"
GRID = 32
CORNER = 6
CROSS = [
    (13, 7),
    (19, 7),
    (19, 13),
    (25, 13),
    (25, 19),
    (19, 19),
    (19, 25),
    (13, 25),
    (13, 19),
    (7, 19),
    (7, 13),
    (13, 13),
]


def draw_icon(size: int) -> Image.Image:
    # Drawn four times larger then reduced: smooth edges without an SVG renderer.
    big = size * 4
    scale = big / GRID
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(CORNER * scale), fill=BLUE)
    pen.polygon([(x * scale, y * scale) for x, y in CROSS], fill="white")
    return image.resize((size, size), Image.Resampling.LANCZOS)


class Command(BaseCommand):
    help = "Draw the PNG icons of the installable app (web app manifest) into static/img/."

    def handle(self, *args, **options):
        folder = Path(settings.BASE_DIR) / "static" / "img"
        for size in ICON_SIZES:
            path = folder / f"icon-{size}.png"
            draw_icon(size).save(path, optimize=True)
            self.stdout.write(f"{path.relative_to(settings.BASE_DIR)} ({size}×{size})")
