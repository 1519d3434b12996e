"""A real OpenID Connect provider for the tests and for newcomers: django-oauth-toolkit in a tiny
Django project of its own (its settings, its SQLite database in a temporary folder, an RSA key
generated at start, one registered client, people with the claims a test needs).

``python -m tests.oidc_provider`` starts it by hand (see __main__.py); :func:`running_provider`
starts it from a test, on a free loopback port, in a separate process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import BASE_DIR, free_port, stop, wait_for_port

CLIENT_ID = "carehub"
CLIENT_SECRET = "test-client-secret"  # noqa: S105 - the suite's own provider, on loopback


@dataclass
class Provider:
    url: str
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


@contextmanager
def running_provider(directory: Path, people: list[dict], *, redirect_uris: list[str]) -> Iterator[Provider]:
    """The provider, serving until the block ends; ``people``: [{username, password, claims}]."""
    port = free_port()
    users = directory / "people.json"
    users.write_text(json.dumps(people))
    command = [sys.executable, "-m", "tests.oidc_provider", "--port", str(port), "--users", str(users)]
    command += ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--directory", str(directory / "state")]
    for uri in redirect_uris:
        command += ["--redirect-uri", uri]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    log = (directory / "provider.log").open("wb")
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_for_port(port, timeout=60)
        url = f"http://127.0.0.1:{port}"
        yield Provider(url=url, issuer=f"{url}/o")
    finally:
        stop(process)
        log.close()
