"""Hostile input on the coordinators' back office: exports asked for, CSV imports."""

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import ANY_CHARACTER, form_data, uploaded_files


def _resident(w):
    return {"public_id": w.backoffice_resident.public_id}


CSV_LINES = st.lists(
    st.lists(
        st.one_of(
            st.sampled_from(["", "=cmd|' /C calc'!A0", "2024-02-30", "Martin", "x@y"]),
            st.text(ANY_CHARACTER, max_size=40),
        ),
        max_size=8,
    ).map(lambda cells: ";".join(cells)),
    max_size=6,
)
CSV = st.builds(
    lambda header, lines, encoding: SimpleUploadedFile(
        "import.csv", "\n".join([header, *lines]).encode(encoding, errors="replace"), "text/csv"
    ),
    st.sampled_from(["external_id;last_name;first_name;email;site", "nom;prénom", ""]),
    CSV_LINES,
    st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)

test_history_csv = property_test(Endpoint("backoffice:history_csv", "coordinator_a", _resident), form_data({}))
test_history_pdf = property_test(Endpoint("backoffice:history_pdf", "coordinator_a", _resident), form_data({}))
test_gdpr_export = property_test(Endpoint("backoffice:gdpr_export", "coordinator_a", _resident), form_data({}))
test_import_upload = property_test(
    Endpoint("backoffice:import_upload", "coordinator_a", lambda w: {"kind": "staff"}),
    form_data({"file": st.one_of(CSV, uploaded_files())}),
    # Found by this test: a carriage return alone inside a field answered 500 (csv.Error).
    examples=[{"file": SimpleUploadedFile("import.csv", b"nom;pr\xc3\xa9nom\nMartin\r;Jeanne\n", "text/csv")}],
)
test_import_apply = property_test(
    Endpoint("backoffice:import_apply", "coordinator_a", lambda w: {"kind": "residents"}),
    form_data({"digest": st.text(max_size=64), "send_welcome": st.sampled_from(["on", ""])}),
)
