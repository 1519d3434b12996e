"""Build the POST an admin change form would send, from the page the test client got."""

from __future__ import annotations


def _field_value(bound_field):
    value = bound_field.value()
    widget = bound_field.field.widget
    if value is None:
        return None
    if getattr(widget, "input_type", None) == "checkbox" or widget.__class__.__name__ == "CheckboxInput":
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _form_data(form, data: dict) -> None:
    for name in form.fields:
        bound = form[name]
        value = _field_value(bound)
        if value is not None:
            data[bound.html_name] = value


def admin_form_data(response) -> dict:
    """The data of the main form and every inline formset, as shown on the page."""
    data: dict = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(formset.management_form, data)
        for form in formset.initial_forms:
            _form_data(form, data)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    return data
