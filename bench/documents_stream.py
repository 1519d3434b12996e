"""Upload and download a large file through CareHub, measuring the server's memory.

    .venv/bin/python bench/documents_stream.py [--size-mb 200] [--server daphne|wsgi|both]

Starts the real server in a subprocess (Daphne, as ``make run`` does, and/or a
WSGI server) on a throw-away SQLite database and media directory, signs in a
coordinator (session with a passed second factor), then:

1. uploads a SIZE MB file through the upload view (multipart, streamed from disk),
   then again in 1 MB pieces as the drag-and-drop page does,
2. downloads it back and checks its SHA-256,
3. sends a file larger than the 25 MB default limit to a server with that limit,
   and reports how much of it the server read before refusing.

It prints the server's resident memory (VmRSS) when idle and its peak
(VmHWM, from /proc) after each phase: memory must not grow with the file size.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_memory(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0]) // 1024  # MB
    return values


def make_file(path: Path, size_mb: int) -> str:
    """A plain-text file of SIZE MB (text: no preview work mixes into the measure)."""
    digest = hashlib.sha256()
    line = b"Transmission de nuit : resident calme, hydratation correcte, pas de douleur.\n"
    block = line * (CHUNK // len(line)) + b"\n" * (CHUNK % len(line))
    with path.open("wb") as f:
        for _ in range(size_mb):
            f.write(block)
            digest.update(block)
    return digest.hexdigest()


def setup_environment(workdir: Path, limit_mb: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "carehub.settings",
            "SQLITE_PATH": str(workdir / "bench.sqlite3"),
            "MEDIA_ROOT": str(workdir / "media"),
            "UPLOAD_PIECES_DIR": str(workdir / "upload-pieces"),
            "DOCUMENTS_MAX_UPLOAD_SIZE": str(limit_mb * 1024 * 1024),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "FILE_UPLOAD_TEMP_DIR": str(workdir),
            "TMPDIR": str(workdir),
            "DEBUG": "0",
        }
    )
    return env


SETUP_SCRIPT = r"""
import django, os, sys, json
django.setup()
from django.contrib.auth import get_user_model, BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from directory.models import Assignment, Site, StaffProfile
from documents.models import Folder

site, _ = Site.objects.get_or_create(name="Bench site")
User = get_user_model()
user, _ = User.objects.get_or_create(email="bench@carehub.test", defaults={"is_staff": True})
user.set_password("bench-password-123"); user.save()
StaffProfile.objects.get_or_create(user=user)
Assignment.objects.get_or_create(user=user, site=site, defaults={"role": "coordinator", "is_primary": True})
device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
folder, _ = Folder.objects.get_or_create(scope="site", site=site, parent=None, name="Bench")
pieces, _ = Folder.objects.get_or_create(scope="site", site=site, parent=None, name="Bench pieces")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.create()
print(json.dumps({"session": session.session_key, "folder": str(folder.public_id), "pieces": str(pieces.public_id)}))
"""


def prepare(env: dict[str, str]) -> dict:
    import json

    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    # As `make run` does: pages need the static manifest when DEBUG is off.
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([PYTHON, "-c", SETUP_SCRIPT], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


WSGI_SERVER = r"""
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server
from django.core.wsgi import get_wsgi_application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

make_server("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), handler_class=Quiet).serve_forever()
"""


def start_server(kind: str, env: dict[str, str], port: int) -> subprocess.Popen:
    if kind == "daphne":
        cmd = [str(Path(PYTHON).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"]
    else:
        cmd = [PYTHON, "-c", WSGI_SERVER, str(port)]
    log = open(Path(env["MEDIA_ROOT"]).parent / f"{kind}-server.log", "ab")  # noqa: SIM115 - lives with the server
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start; see {log.name}")


def headers_for(state: dict, csrf: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={state['session']}; csrftoken={csrf}", "X-CSRFToken": csrf}


def get(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def upload(port: int, state: dict, path: Path, csrf: str, *, single: bool = True) -> tuple[int, bytes, float]:
    boundary = "----carehubbench" + secrets.token_hex(8)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    url = f"/documents/folders/{state['folder']}/upload/" + ("?single=1" if single else "")
    headers = {
        **headers_for(state, csrf),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
        "Accept": "application/json",
    }
    started = time.monotonic()
    conn.putrequest("POST", url)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders()
    sent = 0
    try:
        conn.send(head)
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                conn.send(chunk)
                sent += len(chunk)
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the end: read its answer
    try:
        response = conn.getresponse()
        status, body = response.status, response.read()
    except (ConnectionResetError, http.client.RemoteDisconnected):
        status, body = 0, b""
    conn.close()
    return status, body + f" (client sent {sent // CHUNK} MB of the file)".encode(), time.monotonic() - started


def upload_chunked(port: int, state: dict, path: Path, csrf: str) -> tuple[int, dict, float]:
    """The drag-and-drop page's protocol: 1 MB pieces, one request each."""
    import json
    from urllib.parse import quote

    size = path.stat().st_size
    upload_id = secrets.token_hex(16)
    url = f"/documents/folders/{state['pieces']}/upload/chunk/"  # another folder: not a duplicate
    started = time.monotonic()
    offset, answer, status = 0, {}, 0
    with path.open("rb") as f:
        while offset < size:
            piece = f.read(CHUNK)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            conn.request(
                "POST",
                url,
                body=piece,
                headers={
                    **headers_for(state, csrf),
                    "Content-Type": "application/octet-stream",
                    "Accept": "application/json",
                    "X-Upload-Id": upload_id,
                    "X-Upload-Offset": str(offset),
                    "X-Upload-Total": str(size),
                    "X-Upload-Name": quote("chunked-" + path.name),
                },
            )
            response = conn.getresponse()
            status, answer = response.status, json.loads(response.read())
            conn.close()
            if status != 200:
                break
            offset += len(piece)
    return status, answer, time.monotonic() - started


def download(port: int, path: str, headers: dict) -> tuple[int, str, int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.monotonic()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    digest, total = hashlib.sha256(), 0
    while chunk := response.read(CHUNK):
        digest.update(chunk)
        total += len(chunk)
    conn.close()
    return response.status, digest.hexdigest(), total, time.monotonic() - started


def run(kind: str, size_mb: int, workdir: Path, data: Path, expected_sha: str) -> None:
    import json

    print(f"\n== {kind}: {size_mb} MB ==")
    env = setup_environment(workdir / kind, limit_mb=size_mb + 10)
    (workdir / kind).mkdir(exist_ok=True)
    state = prepare(env)
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts the secret itself as the token
    port = free_port()
    server = start_server(kind, env, port)
    try:
        status, _ = get(port, f"/documents/folders/{state['folder']}/", headers_for(state, csrf))
        assert status == 200, f"folder page answered {status}; see {workdir / kind}/*-server.log"
        idle = proc_memory(server.pid)
        print(f"server idle after one page: RSS {idle['VmRSS']} MB (peak so far {idle['VmHWM']} MB)")

        status, body, seconds = upload(port, state, data, csrf)
        after_upload = proc_memory(server.pid)
        result = json.loads(body.split(b" (client sent")[0])["results"][0]
        assert status == 200 and result["ok"], (status, body[:500])
        print(
            f"upload {size_mb} MB: HTTP {status} in {seconds:.1f} s ({size_mb / seconds:.0f} MB/s); "
            f"server RSS {after_upload['VmRSS']} MB, peak {after_upload['VmHWM']} MB "
            f"(peak growth {after_upload['VmHWM'] - idle['VmRSS']} MB)"
        )
        document_url = result["url"]
    finally:
        server.terminate()
        server.wait(timeout=30)

    # The drag-and-drop path (pieces of 1 MB), on a fresh server.
    server = start_server(kind, env, port)
    try:
        get(port, f"/documents/folders/{state['folder']}/", headers_for(state, csrf))
        idle_chunked = proc_memory(server.pid)
        status, answer, seconds = upload_chunked(port, state, data, csrf)
        after = proc_memory(server.pid)
        ok = status == 200 and answer.get("results", [{}])[0].get("ok")
        print(
            f"upload {size_mb} MB in 1 MB pieces (drag and drop): HTTP {status} {'ok' if ok else answer} "
            f"in {seconds:.1f} s ({size_mb / seconds:.0f} MB/s); server RSS {after['VmRSS']} MB, "
            f"peak {after['VmHWM']} MB (peak growth {after['VmHWM'] - idle_chunked['VmRSS']} MB)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    # A fresh server for the download, so that its peak is the download's alone.
    server = start_server(kind, env, port)
    try:
        status, page = get(port, document_url, headers_for(state, csrf))
        idle = proc_memory(server.pid)
        marker = b"/documents/v/"
        start = page.index(marker) + len(marker)
        version_id = page[start : start + 36].decode()
        status, sha, total, seconds = download(port, f"/documents/v/{version_id}/download/", headers_for(state, csrf))
        after_download = proc_memory(server.pid)
        assert status == 200 and sha == expected_sha and total == size_mb * CHUNK, (status, total)
        print(
            f"download {size_mb} MB (fresh server, idle RSS {idle['VmRSS']} MB): HTTP {status} in {seconds:.1f} s "
            f"({size_mb / seconds:.0f} MB/s), SHA-256 ok; server RSS {after_download['VmRSS']} MB, "
            f"peak {after_download['VmHWM']} MB"
        )
        print(f"download peak growth over idle: {after_download['VmHWM'] - idle['VmRSS']} MB for a {size_mb} MB file")
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Oversize: a server with the default 25 MB limit, a 60 MB upload.
    env = setup_environment(workdir / kind, limit_mb=25)
    port = free_port()
    server = start_server(kind, env, port)
    try:
        big = workdir / "oversize.txt"
        if not big.exists():
            make_file(big, 60)
        before = proc_memory(server.pid)
        status, body, seconds = upload(port, state, big, csrf)
        after = proc_memory(server.pid)
        sent = body.rsplit(b"(client sent", 1)[-1].decode().strip(" )")
        print(
            f"oversize 60 MB vs 25 MB limit: HTTP {status} after {seconds:.2f} s, client had sent {sent}; "
            f"server peak {after['VmHWM']} MB (was {before['VmHWM']} MB)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--server", choices=["daphne", "wsgi", "both"], default="both")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="carehub-bench-docs-"))
    try:
        data = workdir / "transmissions.txt"
        print(f"making a {args.size_mb} MB file…")
        expected_sha = make_file(data, args.size_mb)
        for kind in ("daphne", "wsgi") if args.server == "both" else (args.server,):
            run(kind, args.size_mb, workdir, data, expected_sha)
    finally:
        if os.environ.get("KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
