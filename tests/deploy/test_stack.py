"""The deployment kit for real: nginx, Gunicorn, Daphne, a Celery worker and beat on loopback.

Every file comes from deploy/: the nginx site (ports, certificate and MEDIA_ROOT substituted,
inside a small main configuration of the test's own), the ExecStart lines of the systemd
units (paths and ports substituted), the environment file (the sample with this machine's
values). The stack gets a PostgreSQL database of its own on DATABASE_URL's server (dropped at
the end) and a Redis of its own (a redis-server on a free port, or another database of
REDIS_URL's server when the binary is missing). Through nginx, over TLS, as a browser would:
pages, sign-in with password and TOTP, a WebSocket message, an upload and its download (sent
by nginx through X-Accel-Redirect), /healthz, and the client address the test sends as
X-Forwarded-For in the access log and in the change history alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp

from documents.downloads import INLINE_CSP
from tests.deploy import kit
from tests.deploy.tls import self_signed
from tests.documents.factories import pdf_bytes

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
REDIS_SERVER = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
BIN = Path(sys.executable).parent
CLIENT = "203.0.113.7"  # the address the test says it comes from (X-Forwarded-For)
HOST = "127.0.0.1"

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
    pytest.mark.skipif(NGINX is None, reason="needs Debian's nginx (apt-get install nginx)"),
]


#: Django's headers on a file (documents/downloads.py) that nginx must send with it.
CONFINING_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Cross-Origin-Resource-Policy",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    tmp: Path
    ports: dict[str, int]
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    person: dict = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.tmp / "logs" / f"{name}.log"

    def tails(self) -> str:
        """The end of every log: what a failure message shows."""
        parts = []
        for path in sorted((self.tmp / "logs").glob("*.log")):
            parts.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def start(self, name: str, args: list[str]) -> None:
        with self.log(name).open("ab") as out:
            self.processes[name] = subprocess.Popen(
                args, cwd=kit.ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def run(self, name: str, args: list[str]) -> str:
        result = subprocess.run(args, cwd=kit.ROOT, env=self.env, capture_output=True, text=True, check=False)
        self.log(name).write_text(result.stdout + result.stderr, encoding="utf-8")
        assert result.returncode == 0, f"{name} failed:\n{result.stderr[-3000:]}"
        return result.stdout

    def django(self, name: str, code: str):
        """Run ``code`` in a Django process of the stack (its database); it prints JSON."""
        return json.loads(self.run(name, [sys.executable, "-c", DJANGO_SETUP + code]).strip().splitlines()[-1])

    def wait_port(self, name: str, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited\n{self.tails()}")
            with socket.socket() as s:
                if s.connect_ex((HOST, port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError(f"nothing listens on {port} ({name})\n{self.tails()}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- rendering the kit for loopback -----------------------------------------------------------


def _replace(text: str, replacements: dict[str, str], what: str) -> str:
    for old, new in replacements.items():
        assert old in text, f"{what} no longer contains {old!r}: update tests/deploy/test_stack.py"
        text = text.replace(old, new)
    return text


def _render_nginx(tmp: Path, ports: dict[str, int], media: Path) -> Path:
    certificate, key = self_signed(tmp)
    site = _replace(
        kit.NGINX_SITE.read_text(encoding="utf-8"),
        {
            "listen 80;": f"listen {HOST}:{ports['http']};",
            "listen [::]:80;": "",
            "listen 443 ssl;": f"listen {HOST}:{ports['https']} ssl;",
            "listen [::]:443 ssl;": "",
            "server 127.0.0.1:8001;": f"server {HOST}:{ports['gunicorn']};",
            "server 127.0.0.1:8000;": f"server {HOST}:{ports['daphne']};",
            "/etc/ssl/carehub/fullchain.pem": str(certificate),
            "/etc/ssl/carehub/privkey.pem": str(key),
            "/var/lib/carehub/media/": f"{media}/",
        },
        "deploy/nginx/carehub.conf",
    )
    (tmp / "nginx").mkdir()
    (tmp / "nginx" / "carehub.conf").write_text(site, encoding="utf-8")
    temp = {name: tmp / "nginx" / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # What Debian's /etc/nginx/nginx.conf gives the site, with this test's own files.
    main = "\n".join(
        [
            # The master runs as this user; as root its workers would drop to nobody and miss tmp files.
            "user root;" if os.geteuid() == 0 else "",
            "worker_processes 1;",
            "daemon off;",
            f"pid {tmp}/nginx/nginx.pid;",
            f"error_log {tmp}/logs/nginx-error.log info;",
            "events { worker_connections 256; }",
            "http {",
            "    include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else "",
            "    default_type application/octet-stream;",
            f"    access_log {tmp}/logs/nginx-access.log;",
            *(f"    {name}_temp_path {path};" for name, path in temp.items() if name != "body"),
            f"    client_body_temp_path {temp['body']};",
            f"    include {tmp}/nginx/carehub.conf;",
            "}",
        ]
    )
    path = tmp / "nginx" / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


def _unit_command(name: str, stack: Stack) -> list[str]:
    """The unit's ExecStart with this virtualenv, the stack's ports and state folder."""
    args = []
    for arg in kit.exec_start(name):
        arg = arg.replace(kit.VENV_BIN, f"{BIN}/").replace(kit.STATE_DIR, str(stack.tmp / "state"))
        arg = arg.replace("%H", "deploytest").replace("127.0.0.1:8001", f"{HOST}:{stack.ports['gunicorn']}")
        args.append(arg)
    if "--port" in args:
        args[args.index("--port") + 1] = str(stack.ports["daphne"])
    return args


def _environment_file(tmp: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The sample's values with this machine's, written as /etc/carehub/carehub.env would be."""
    lines, seen = [], set()
    for line in kit.ENV_SAMPLE.read_text(encoding="utf-8").splitlines():
        name = line.partition("=")[0]
        if name in overrides:
            line, _ = f"{name}={overrides[name]}", seen.add(name)
        lines.append(line)
    assert set(overrides) == seen, f"the sample does not set {set(overrides) - seen}"
    path = tmp / "carehub.env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return kit.env_file_parse(path.read_text(encoding="utf-8"))


@contextlib.contextmanager
def _database():
    import psycopg

    server = os.environ["DATABASE_URL"]
    name = f"carehub_stack_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _redis(tmp: Path):
    """A Redis of the stack's own: its queue, cache and channel layer meet nobody else's."""
    if REDIS_SERVER is None:
        shared = urlsplit(os.environ["REDIS_URL"])
        db = (int(shared.path.strip("/") or 0) + 1) % 16
        yield urlunsplit(shared._replace(path=f"/{db}"))
        return
    port = _free_port()
    (tmp / "redis").mkdir()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        cwd=tmp / "redis",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex((HOST, port)) == 0:
                    break
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


DJANGO_SETUP = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
import django
django.setup()
"""

SEED = """
import json
from documents.models import Folder
from tests.documents.factories import FolderFactory
from tests.factories import DEFAULT_PASSWORD, SiteFactory, confirmed_totp, make_staff
from tests.messaging.factories import group_with

site = SiteFactory(name="EHPAD du Déploiement")
coordinator = make_staff(site, coordinator=True, email="idec.deploy@carehub.test", first_name="Claire")
colleague = make_staff(site, email="aide.deploy@carehub.test")
device = confirmed_totp(coordinator)
folder = FolderFactory(scope=Folder.Scope.SITE, site=site, name="Protocoles", created_by=coordinator)
conversation = group_with(coordinator, colleague)
print(json.dumps({
    "email": coordinator.email, "password": DEFAULT_PASSWORD,
    "totp": {"key": device.key, "step": device.step, "t0": device.t0, "digits": device.digits},
    "folder": str(folder.public_id), "conversation": str(conversation.public_id),
}))
"""

TRAILS = """
import json
from auditlog.models import LogEntry
from carehub.models import AccessLog
from documents.models import DocumentVersion

version = DocumentVersion.objects.select_related("document").get()
print(json.dumps({
    "access_log": [[entry.action, entry.ip] for entry in AccessLog.objects.order_by("pk")],
    "auditlog": [
        [entry.content_type.model, entry.remote_addr]
        for entry in LogEntry.objects.filter(remote_addr__isnull=False).order_by("pk")
    ],
    "version": str(version.public_id), "file": version.file.name,
}))
"""


@pytest.fixture
def stack(tmp_path):
    ports = {name: _free_port() for name in ("http", "https", "gunicorn", "daphne")}
    for folder in ("logs", "state", "media"):
        (tmp_path / folder).mkdir()
    internal = kit.internal_location(kit.nginx_site()).args[0]
    with _database() as database_url, _redis(tmp_path) as redis_url:
        values = _environment_file(
            tmp_path,
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": HOST,
                "CSRF_TRUSTED_ORIGINS": f"https://{HOST}:{ports['https']}",
                "TRUSTED_PROXIES": HOST,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SITE_BASE_URL": f"https://{HOST}:{ports['https']}",
                "MEDIA_ROOT": str(tmp_path / "media"),
                "DOCUMENTS_X_ACCEL_REDIRECT": internal,
            },
        )
        # Only what systemd gives a service besides the EnvironmentFile.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8", **values}
        stack = Stack(tmp=tmp_path, ports=ports, env=env)
        try:
            manage = [sys.executable, "manage.py"]
            # As on each release (README.md): migrations and static files, side by side here.
            stack.start("collectstatic", [*manage, "collectstatic", "--noinput", "--verbosity", "0"])
            stack.run("migrate", [*manage, "migrate", "--noinput"])
            assert stack.processes.pop("collectstatic").wait(timeout=60) == 0, stack.tails()
            # The people and folders of the test, written while the servers boot.
            seed = stack.processes["seed"] = subprocess.Popen(
                [sys.executable, "-c", DJANGO_SETUP + SEED], cwd=kit.ROOT, env=env, stdout=subprocess.PIPE, text=True
            )
            conf = _render_nginx(tmp_path, ports, tmp_path / "media")
            stack.start("nginx", [NGINX, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", str(stack.log("nginx"))])
            for unit in kit.UNITS:
                stack.start(unit.removesuffix(".service"), _unit_command(unit, stack))
            stack.wait_port("nginx", ports["https"])
            stack.wait_port("carehub-gunicorn", ports["gunicorn"])
            stack.wait_port("carehub-daphne", ports["daphne"])
            output, _ = seed.communicate(timeout=60)
            assert stack.processes.pop("seed").returncode == 0, stack.tails()
            stack.person = json.loads(output.strip().splitlines()[-1])
            yield stack
        finally:
            stack.stop()


# --- a browser through the proxy ---------------------------------------------------------------


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://{HOST}:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPSConnection(HOST, self.port, context=_tls(), timeout=30)
        sent = {"X-Forwarded-For": CLIENT, "Accept-Language": "fr", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            sent["Origin"] = self.origin
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        content = response.read()
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict):
        form = urlencode({**data, "csrfmiddlewaretoken": self.cookies[settings.CSRF_COOKIE_NAME]}).encode()
        return self.request("POST", path, form, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, name: str, content: bytes):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
                f"{self.cookies[settings.CSRF_COOKIE_NAME]}\r\n"
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def _sign_in(browser: Browser, person: dict) -> None:
    status, _, _ = browser.get(reverse("account_login"))
    assert status == HTTPStatus.OK
    status, _, _ = browser.post(reverse("account_login"), {"login": person["email"], "password": person["password"]})
    assert status == HTTPStatus.FOUND, status
    # Past the password, every page asks for the second factor first.
    status, headers, _ = browser.get("/accounts/security/")
    assert status == HTTPStatus.FOUND and headers["Location"].startswith(reverse("two_factor_verify")), status
    device = person["totp"]
    code = str(totp(bytes.fromhex(device["key"]), step=device["step"], t0=device["t0"], digits=device["digits"]))
    status, _, _ = browser.post(reverse("two_factor_verify"), {"code": code.zfill(device["digits"])})
    assert status == HTTPStatus.FOUND, status


async def _socket_round_trip(browser: Browser, conversation: str, body: str) -> dict:
    from websockets.asyncio.client import connect

    async def open_socket():
        ws = await connect(
            f"wss://{HOST}:{browser.port}/ws/messages/",
            ssl=_tls(),
            origin=browser.origin,
            additional_headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME]}",
                "X-Forwarded-For": CLIENT,
            },
            open_timeout=20,
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] == "hello"
        return ws

    sender, reader = await open_socket(), await open_socket()  # a desk computer and a tablet
    try:
        await sender.send(
            json.dumps({"type": "send", "conversation": conversation, "body": body, "client_token": str(uuid.uuid4())})
        )
        while True:
            frame = json.loads(await asyncio.wait_for(reader.recv(), 20))
            if frame["type"] == "message":
                return frame["message"]
    finally:
        await sender.close()
        await reader.close()


def _link(browser: Browser, page: str, pattern: str) -> str:
    status, _, content = browser.get(page)
    assert status == HTTPStatus.OK, (page, status)
    match = re.search(pattern, content.decode())
    assert match, f"no link {pattern} on {page}"
    return match[0]


def _wait_for_line(path: Path, text: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_the_kit_serves_carehub_behind_nginx(stack):
    person = stack.person
    browser = Browser(stack.ports["https"])

    # Health first: database, cache and channel layer as the load balancer sees them.
    status, _, content = browser.get("/healthz")
    assert status == HTTPStatus.OK, stack.tails()
    assert json.loads(content)["status"] == "ok"

    # Plain HTTP only redirects to HTTPS.
    conn = http.client.HTTPConnection(HOST, stack.ports["http"], timeout=10)
    conn.request("GET", "/accounts/login/")
    redirect = conn.getresponse()
    assert redirect.status == HTTPStatus.MOVED_PERMANENTLY
    assert redirect.headers["Location"].startswith("https://")
    conn.close()

    # A page, its static files (WhiteNoise, through Gunicorn), sign-in with the second factor.
    status, _, page = browser.get(reverse("account_login"))
    assert status == HTTPStatus.OK and b"/static/" in page
    _sign_in(browser, person)
    status, _, page = browser.get("/accounts/security/")
    assert status == HTTPStatus.OK, status
    assert b"Claire" in page  # the signed-in coordinator's name in the header

    # A WebSocket message through nginx to Daphne and back through the Redis channel layer.
    message = asyncio.run(_socket_round_trip(browser, person["conversation"], "Chambre 12 : chute sans gravité"))
    assert message["body"] == "Chambre 12 : chute sans gravité"

    # An upload through nginx to Gunicorn, and its download sent by nginx (X-Accel-Redirect).
    content = pdf_bytes("Protocole chutes", "Déploiement")  # a real PDF: the detection reads it
    status, _, _ = browser.upload(
        reverse("documents:folder_upload", kwargs={"public_id": person["folder"]}), "Protocole.pdf", content
    )
    assert status == HTTPStatus.FOUND, stack.tails()
    # As a person finds it: the folder lists the document, its page links the file.
    folder = reverse("documents:folder_detail", kwargs={"public_id": person["folder"]})
    document = _link(browser, folder, r"/documents/d/[0-9a-f-]{36}/")
    download = _link(browser, document, r"/documents/v/[0-9a-f-]{36}/download/")
    status, headers, received = browser.get(download)
    assert status == HTTPStatus.OK
    assert received == content
    assert "attachment" in headers["Content-Disposition"]
    # Shown in the page (a PDF preview): the same file, under the inline policy.
    status, preview_headers, shown = browser.get(download.replace("/download/", "/preview/"))
    assert status == HTTPStatus.OK and shown == content
    assert preview_headers["Content-Security-Policy"] == INLINE_CSP
    # The real client in both trails: the access log and django-auditlog's change history.
    trails = stack.django("trails", TRAILS)
    actions = {action for action, _ in trails["access_log"]}
    assert {"login", "download"} <= actions, trails["access_log"]
    assert {ip for _, ip in trails["access_log"]} == {CLIENT}
    assert "document" in {model for model, _ in trails["auditlog"]}, trails["auditlog"]
    assert {address for _, address in trails["auditlog"]} == {CLIENT}

    # Gunicorn itself answers with the header only: nginx copied the bytes. (Asked directly, so
    # after the trails were read: this request has no proxy in front of it.)
    direct = http.client.HTTPConnection(HOST, stack.ports["gunicorn"], timeout=10)
    direct.request(
        "GET",
        download,
        headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME]}",
            "X-Forwarded-Proto": "https",
            "Host": HOST,
        },
    )
    answer = direct.getresponse()
    assert answer.status == HTTPStatus.OK and answer.read() == b""
    # What confines the file in the browser survives the hand-over to nginx.
    for name in CONFINING_HEADERS:
        assert headers[name] == answer.headers[name], name
    assert answer.headers["X-Accel-Redirect"] == kit.internal_location(kit.nginx_site()).args[0] + trails["file"]
    direct.close()
    # The internal location cannot be asked for directly.
    status, _, _ = browser.get(kit.internal_location(kit.nginx_site()).args[0] + trails["file"])
    assert status == HTTPStatus.NOT_FOUND

    # The worker ran the preview the upload asked for; beat sent its periodic jobs.
    assert _wait_for_line(stack.log("carehub-worker"), "succeeded"), stack.tails()
    assert _wait_for_line(stack.log("carehub-beat"), "beat: Starting"), stack.tails()
    assert all(process.poll() is None for process in stack.processes.values()), stack.tails()
