"""What a restored database holds, printed as JSON: run in a subprocess against the restored database.

``python -m tests.backups.restored_facts`` with DATABASE_URL (or SQLITE_PATH) and MEDIA_ROOT
naming the restored database and storage; tests/backups/test_backup_restore.py compares it
with what it made before the backup.
"""

import hashlib
import io
import json
import os
import sys


def facts(*, try_codes: bool = True) -> dict:
    """``try_codes``: also sign in with a code from each authenticator (a code is accepted once only)."""
    from auditlog.models import LogEntry
    from django.contrib.auth import authenticate, get_user_model
    from django.core.files.storage import default_storage
    from django.core.management import CommandError, call_command
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carehub.models import AccessLog
    from coordination.models import CareNote
    from documents.models import DocumentVersion
    from tests.factories import DEFAULT_PASSWORD

    users = {}
    for user in get_user_model().objects.order_by("email"):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        signed_in = authenticate(None, username=user.email, password=DEFAULT_PASSWORD)
        users[user.email] = {
            "password": signed_in is not None and signed_in.pk == user.pk,
            "totp_key": hashlib.sha256(device.key.encode()).hexdigest() if device else None,
        }
        if try_codes and device is not None:
            token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
            users[user.email]["code_accepted"] = device.verify_token(str(token).zfill(device.digits))
    documents = {}
    for version in DocumentVersion.objects.order_by("pk"):
        with default_storage.open(version.file.name, "rb") as handle:
            documents[version.original_name] = hashlib.sha256(handle.read()).hexdigest()
    report, verified = io.StringIO(), True
    try:
        call_command("verify_audit", stdout=report)  # what `manage.py verify_audit` checks, exit 0 or not
    except CommandError as exc:
        report.write(str(exc))
        verified = False
    return {
        "verify_audit": {"ok": verified, "report": report.getvalue().strip()},
        "notes": sorted([str(n.public_id), n.data, n.action, n.result] for n in CareNote.objects.all()),
        "users": users,
        "documents": documents,
        "access_log": AccessLog.objects.count(),
        "auditlog": LogEntry.objects.count(),
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    json.dump(facts(), sys.stdout, ensure_ascii=False)
