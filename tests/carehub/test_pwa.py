"""The installable app: manifest, service worker at the site root, the offline page for nobody."""

import json
import re
import time
from http import HTTPStatus

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image

from tests.accounts.flows import fresh_client

pytestmark = pytest.mark.django_db


def _manifest(client=None) -> dict:
    response = (client or fresh_client()).get("/manifest.webmanifest")
    assert response.status_code == HTTPStatus.OK
    return json.loads(response.content)


def _css_colour(name: str) -> str:
    with open(finders.find("css/carehub.css"), encoding="utf-8") as handle:
        return re.search(rf"--{name}:\s*(#[0-9a-f]{{6}})", handle.read()).group(1)


def test_the_manifest_is_served_as_a_manifest_to_anyone():
    response = fresh_client().get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"


def test_the_manifest_names_carehub_and_opens_standalone_on_the_start_page():
    manifest = _manifest()
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == ("CareHub", "standalone", "/")


def test_the_manifest_frame_is_the_colour_of_the_header():
    assert _manifest()["theme_color"] == _css_colour("blue-dark")


@pytest.mark.parametrize("size", [192, 512])
def test_the_manifest_icons_are_pngs_of_their_size(size):
    [icon] = [icon for icon in _manifest()["icons"] if icon["sizes"] == f"{size}x{size}"]
    assert icon["src"] == static(f"img/icon-{size}.png")
    with Image.open(finders.find(f"img/icon-{size}.png")) as image:
        assert (image.format, image.size) == ("PNG", (size, size))


def test_the_manifest_is_linked_from_every_page():
    content = fresh_client().get(reverse("account_login")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in content


def test_the_service_worker_is_served_from_the_root_as_javascript():
    response = fresh_client().get("/sw.js")
    assert (response.status_code, response["Content-Type"]) == (HTTPStatus.OK, "text/javascript; charset=utf-8")


def test_the_service_worker_may_control_the_whole_site():
    assert fresh_client().get("/sw.js")["Service-Worker-Allowed"] == "/"


def test_the_service_worker_is_never_kept_stale_by_the_http_cache():
    assert "no-cache" in fresh_client().get("/sw.js")["Cache-Control"]


def _shell() -> dict:
    first_line = fresh_client().get("/sw.js").content.decode().splitlines()[0]
    return json.loads(first_line.removeprefix("self.CAREHUB_SHELL = ").removesuffix(";"))


def test_the_service_worker_keeps_only_static_files_and_the_offline_page():
    shell = _shell()
    assert shell["offline"] == reverse("offline")
    assert all(url.startswith("/static/") for url in shell["assets"])


def test_the_service_worker_keeps_what_the_offline_page_needs():
    assert {static("css/carehub.css"), static("js/drafts.js")} <= set(_shell()["assets"])


def test_the_offline_page_is_the_same_for_everyone(verified_client, staff_a):
    signed_in = verified_client(staff_a).get(reverse("offline")).content.decode()
    assert staff_a.get_full_name() not in signed_in
    assert 'action="/accounts/logout/"' not in signed_in
    assert str(staff_a.public_id) not in signed_in


def test_the_offline_page_speaks_the_language_asked():
    content = fresh_client().get(reverse("offline") + "?lang=en").content.decode()
    assert '<html lang="en">' in content and "No connection" in content


def test_the_offline_page_ignores_an_unknown_language():
    response = fresh_client().get(reverse("offline") + "?lang=xx")
    assert (response.status_code, response["Content-Language"]) == (HTTPStatus.OK, "fr")


def test_a_signed_in_page_names_its_person_for_the_drafts(verified_client, staff_a):
    content = verified_client(staff_a).get(reverse("account_security")).content.decode()
    assert f'data-user="{staff_a.public_id}"' in content


def test_a_signed_in_page_registers_the_service_worker(verified_client, staff_a):
    content = verified_client(staff_a).get(reverse("account_security")).content.decode()
    assert 'data-sw-url="/sw.js"' in content


def test_a_page_for_a_visitor_names_nobody():
    assert "data-user=" not in fresh_client().get(reverse("account_login")).content.decode()


def _last_seen_after_fetching_the_worker(client, **headers) -> tuple[int, int]:
    """(when the person was last active, that mark after fetching the worker). Last active ten
    seconds ago, taken now: a mark taken when the module was imported would be past the idle
    timeout in a long suite run, and the session would end instead."""
    from accounts.sessions import LAST_SEEN_KEY

    seen = int(time.time()) - 10
    session = client.session
    session[LAST_SEEN_KEY] = seen
    session.save()
    client.get("/sw.js", headers=headers)
    return seen, client.session[LAST_SEEN_KEY]


def test_the_browser_checking_for_a_new_worker_is_not_activity(verified_client, staff_a):
    # Else a tablet would never lock: the browser checks for a new worker after each page.
    seen, after = _last_seen_after_fetching_the_worker(verified_client(staff_a), **{"Service-Worker": "script"})
    assert after == seen


def test_a_request_of_the_person_is_activity(verified_client, staff_a):
    seen, after = _last_seen_after_fetching_the_worker(verified_client(staff_a))
    assert after > seen
