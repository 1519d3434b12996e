"""Photos of people (staff, residents): checked by their content, not their name; resized; metadata removed.

A photo arrives from a phone or a shared workstation: it may be a 12-megapixel
JPEG with GPS coordinates in its EXIF block, a PNG screenshot, or a document
renamed ``.jpg``. We decode it with Pillow, refuse what is not an image or is
too big, apply the EXIF orientation, and re-encode a small JPEG that carries no
metadata at all.
"""

from __future__ import annotations

import io
import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
#: Pixels beyond which we refuse to decode (a small file can expand into gigabytes).
MAX_PIXELS = 40_000_000


def process_photo(uploaded) -> ContentFile:
    """Return a clean JPEG of at most DIRECTORY_PHOTO_SIZE px, or raise ValidationError."""
    max_bytes = settings.DIRECTORY_PHOTO_MAX_BYTES
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("This photo is too large (%(size)s). The maximum is %(max)s."),
            code="too_large",
            params={"size": filesizeformat(uploaded.size), "max": filesizeformat(max_bytes)},
        )
    data = uploaded.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                probe.verify()  # structure check without decoding every pixel
            if image_format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    _("This file is not a JPEG, PNG, WebP or GIF image."),
                    code="format",
                )
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("This image is too large (%(width)s × %(height)s pixels)."),
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)  # first frame of an animated GIF
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
                size = settings.DIRECTORY_PHOTO_SIZE
                image.thumbnail((size, size), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # A fresh image object written without exif=/icc_profile=: no metadata survives.
                Image.frombytes("RGB", image.size, image.tobytes()).save(out, "JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("This file is not an image we can read. Choose a JPEG or PNG photo."), code="invalid"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Truncated or corrupt files fail while decoding.
        raise ValidationError(
            _("This image is damaged or incomplete. Try another photo."),
            code="invalid",
        ) from None
    return ContentFile(out.getvalue())


class PhotoFormField(forms.FileField):
    """A photo in any form, the admin's included: what is kept is :func:`process_photo`'s clean JPEG."""

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            clean = process_photo(value)
            clean.name = "photo.jpg"
            return clean
        return value


class PhotoField(models.ImageField):
    """The model field of a person's photo: every form made from it runs the one photo pipeline, so
    no upload path (the admin's resident or staff pages included) keeps an EXIF GPS position."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhotoFormField, **kwargs})
