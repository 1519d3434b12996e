"""deploy/nginx/carehub.conf: where requests go, what it adds, what it never serves, its limits."""

import shutil
import subprocess

import pytest
from django.conf import settings

from documents.uploads import CHUNK_SIZE, max_request_size
from tests.deploy import kit
from tests.deploy.tls import self_signed

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


@pytest.fixture(scope="module")
def site():
    return kit.nginx_site()


def _location(server, path):
    return next(loc for loc in server.find("location") if loc.args == [path])


def test_body_size_admits_what_django_accepts_and_little_more(site):
    """nginx must not refuse a form Django accepts (a bare nginx 413, untranslated), nor buffer
    much more than Django would ever keep: DOCUMENTS_MAX_FILES_PER_REQUEST files of
    DOCUMENTS_MAX_UPLOAD_SIZE plus the form, and the drag-and-drop page's 1 MiB pieces."""
    (limit,) = kit.tls_server(site).value("client_max_body_size")
    limit = kit.nginx_size(limit)
    largest_form = max_request_size(settings.DOCUMENTS_MAX_FILES_PER_REQUEST)
    assert largest_form <= limit <= largest_form + 2 * 1024**2
    assert limit >= CHUNK_SIZE + 64 * 1024
    assert limit > settings.DIRECTORY_PHOTO_MAX_BYTES
    assert limit > settings.BACKOFFICE_IMPORT_MAX_BYTES


def test_websockets_go_to_daphne_with_the_upgrade(site):
    ws = _location(kit.tls_server(site), "/ws/")
    assert ws.value("proxy_pass") == ["http://carehub_daphne"]
    assert ws.value("proxy_http_version") == ["1.1"]
    headers = {d.args[0]: d.args[1] for d in ws.find("proxy_set_header")}
    assert headers["Upgrade"] == "$http_upgrade"
    (upgrade_map,) = [m for m in site.find("map") if m.args[0] == "$http_upgrade"]
    assert headers["Connection"] == upgrade_map.args[1]
    read_timeout = ws.value("proxy_read_timeout")[0]
    assert read_timeout.endswith("h") or kit.nginx_size(read_timeout.rstrip("s")) > settings.MESSAGING_HEARTBEAT * 4


def test_everything_else_goes_to_gunicorn_with_who_asked(site):
    server = kit.tls_server(site)
    assert _location(server, "/").value("proxy_pass") == ["http://carehub_gunicorn"]
    # Set in the server block, headers would silently vanish from every location that sets one.
    assert server.value("proxy_set_header") is None
    for location in server.find("location"):
        if location.value("proxy_pass") is None:
            continue
        # A location's own proxy_set_header replaces the server's whole list: each one sets all.
        headers = {d.args[0]: d.args[1] for d in location.children if d.name == "proxy_set_header"}
        assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
        assert headers["X-Forwarded-Proto"] == "$scheme"
        assert headers["Host"] == "$host"


def test_media_leave_only_through_the_internal_location(site):
    """No alias or root anywhere but the X-Accel-Redirect target, which browsers cannot ask for."""
    served = [d for name in ("alias", "root") for d in site.find(name)]
    location = kit.internal_location(site)
    assert served == [location.find("alias")[0]]
    assert location.args[0] == "/protected-media/"


def test_plain_http_only_redirects_to_https(site):
    (plain,) = [s for s in kit.servers(site) if s is not kit.tls_server(site)]
    assert plain.value("return") == ["301", "https://$host$request_uri"]
    assert not plain.find("location")
    tls = kit.tls_server(site)
    assert tls.value("ssl_certificate") and tls.value("ssl_certificate_key")


@pytest.mark.skipif(NGINX is None, reason="needs Debian's nginx (apt-get install nginx)")
def test_nginx_accepts_the_site(tmp_path):
    """`nginx -t` on the site as shipped, inside a minimal main configuration of its own."""
    text = kit.NGINX_SITE.read_text(encoding="utf-8")
    certificate, key = self_signed(tmp_path)
    text = text.replace("/etc/ssl/carehub/fullchain.pem", str(certificate)).replace(
        "/etc/ssl/carehub/privkey.pem", str(key)
    )
    (tmp_path / "carehub.conf").write_text(text, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{ include {tmp_path}/carehub.conf; }}\n", encoding="utf-8"
    )
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
