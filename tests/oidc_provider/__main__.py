"""Start the test OpenID Connect provider and print the environment that points CareHub at it.

    python -m tests.oidc_provider [--port 8765] [--users people.json] [--redirect-uri URL ...]

Without --users it knows the demo nurse (infirmiere@demo.carehub.example, e-mail verified, no second
factor) and the demo coordinator (idec@..., amr ["pwd", "mfa"]): after `make run`, sign in to CareHub
with "Sign in with Test provider" as one of them (README, "Sign-in through the group's identity provider").
Everything lives in a temporary folder, generated at start (database, RSA key) and gone at exit.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEMO_CALLBACKS = [
    "http://127.0.0.1:8000/accounts/oidc/idp/login/callback/",
    "http://localhost:8000/accounts/oidc/idp/login/callback/",
]


def _demo_people() -> list[dict]:
    domain = "demo.carehub.example"
    return [
        {
            "username": "infirmiere",
            "password": secrets.token_urlsafe(9),
            "claims": {"email": f"infirmiere@{domain}", "email_verified": True, "name": "Hélène Lefèvre"},
        },
        {
            "username": "idec",
            "password": secrets.token_urlsafe(9),
            "claims": {"email": f"idec@{domain}", "email_verified": True, "amr": ["pwd", "mfa"]},
        },
    ]


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _prepare(directory: Path, people: list[dict], *, client_id: str, client_secret: str, redirect_uris: list[str]):
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from oauth2_provider.models import get_application_model

    User = get_user_model()
    for person in people:
        User.objects.create_user(username=person["username"], password=person["password"])
    get_application_model().objects.create(
        name="CareHub",
        client_id=client_id,
        client_secret=client_secret,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=" ".join(redirect_uris),
        algorithm="RS256",
        skip_authorization=True,  # no consent screen: the group's own provider trusts its own intranet
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.oidc_provider", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=Path, help="JSON list of {username, password, claims}")
    parser.add_argument("--redirect-uri", action="append", help="CareHub's callback URL (repeatable)")
    parser.add_argument("--client-id", default="carehub")
    parser.add_argument("--client-secret", default="")
    parser.add_argument(
        "--directory", type=Path, help="where the database and the key go (default: a new temporary folder)"
    )
    args = parser.parse_args(argv)

    people = json.loads(args.users.read_text()) if args.users else _demo_people()
    client_secret = args.client_secret or secrets.token_urlsafe(24)
    issuer = f"http://127.0.0.1:{args.port}/o"
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as scratch:
        directory = args.directory or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "rsa.pem").write_text(_rsa_pem())
        (directory / "users.json").write_text(json.dumps(people))
        os.environ["OIDC_PROVIDER_DIR"] = str(directory)
        os.environ["OIDC_PROVIDER_ISSUER"] = issuer
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
        _prepare(
            directory,
            people,
            client_id=args.client_id,
            client_secret=client_secret,
            redirect_uris=args.redirect_uri or DEMO_CALLBACKS,
        )
        print("# CareHub's environment for this provider:")
        print(f"export OIDC_ISSUER={issuer}")
        print(f"export OIDC_CLIENT_ID={args.client_id}")
        print(f"export OIDC_CLIENT_SECRET={client_secret}")
        print("export OIDC_NAME='Test provider'")
        print("# People of the provider (username / password: claims):")
        for person in people:
            print(f"#   {person['username']} / {person['password']}: {json.dumps(person.get('claims', {}))}")
        sys.stdout.flush()

        from django.core.servers.basehttp import run
        from django.core.wsgi import get_wsgi_application

        run("127.0.0.1", args.port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
