"""E-mail pieces shared by the apps."""

from __future__ import annotations

from django.template.loader import render_to_string


def render_subject(template_name: str, context: dict) -> str:
    """A subject rendered on one line: a name typed with a line break (an import, a pasted cell) would
    otherwise make Django refuse the header, and the e-mail would never go."""
    return " ".join(render_to_string(template_name, context).split())
