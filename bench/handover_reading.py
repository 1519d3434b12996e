"""What a nurse at 6:45 meets on the handover of a 40-resident unit, in a real browser.

Seeds a one-site demo group whose residents are all in the demo nurse's unit,
serves it with Daphne (embedded default, SQLite file in a temporary folder) and
drives Debian's chromium with Playwright at 768×1024 (tablet) and 375×812 (phone):

- screens: the height to read, in viewport heights (the whole page, and the "what
  matters" part where the page has one);
- where the first note starts (px from the top);
- key presses from the top of the page to the note form's first field (Tab, and Enter on a
  link that leads to the form);
- reading time by the model below, for a reader who reads everything new once: she opens every
  resident to read at once ("Open all", one tap) or one by one (a tap each), scrolls through the
  opened section (its height after opening, in screens) and reads the text of every note new for her.

The clock: the seed and the server run under Debian's libfaketime at the next 06:45 in Paris (``--at``),
the nurse at 6:45 of the issue, so the figures do not depend on the hour the bench runs. Two readers
of the same unit at 6:45: one whose last shift here was yesterday's morning (or who has no shift on
record: back from leave, first shift), for whom everything since the start of yesterday's afternoon
is new; and one who worked yesterday's afternoon shift (she took that handover), for whom only the
night is new.

Reading model (stated here, used for every figure): 20 characters of note text per
second (about 200 words a minute, French care prose), 1 s per screen scrolled,
2 s per tap. Typing model: 3 characters per second on a touch keyboard.

Run: ``.venv/bin/python bench/handover_reading.py [--residents 40] [--at 06:45] [--out FILE.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CAREHUB_E2E_CHROMIUM", "/usr/bin/chromium")
CHARS_PER_SECOND = 20
SECONDS_PER_SCREEN = 1
SECONDS_PER_TAP = 2
VIEWPORTS = {"tablet": (768, 1024), "phone": (375, 812)}
FIELD_SELECTOR = "form.note-form select, form.note-form input:not([type=hidden]), form.note-form textarea"


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
PARIS = ZoneInfo("Europe/Paris")


def next_local(at: str) -> datetime:
    """The next ``HH:MM`` in Paris from now."""
    hour, minute = (int(part) for part in at.split(":"))
    now = datetime.now(PARIS)
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)


def _clock(moment: datetime | None) -> dict:
    """Environment that starts every process's clock at ``moment`` (libfaketime), ticking from there."""
    if moment is None:
        return {}
    if not LIBFAKETIME.exists():
        raise SystemExit("libfaketime is missing: apt-get install faketime, or run with --at now")
    stamp = moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    return {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{stamp}", "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "PYTEST_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        SQLITE_PATH=str(tmp / "carehub.sqlite3"),
        MEDIA_ROOT=str(tmp / "media"),
        EMAIL_URL=f"filemail:///{tmp / 'mail'}",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="bench-only-" + "x" * 50,
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _run(args, env) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MOVE_TO_ONE_UNIT = """
from coordination.models import CareNote, Resident
from directory.models import Assignment
nurse = Assignment.objects.get(user__email=EMAIL)
Resident.objects.filter(site=nurse.site).update(unit=nurse.unit)
CareNote.objects.filter(site=nurse.site).update(unit=nurse.unit)
print(Resident.objects.filter(unit=nurse.unit).count())
"""

#: Between two readers: forget what the nurse has read and which shifts she took, then record
#: LAST_SHIFT (None, or the shift she took yesterday) as her last shift here.
READER = """
import datetime
from django.utils import timezone
from coordination.models import HandoverAcknowledgement, NoteReading
from directory.models import Assignment
nurse = Assignment.objects.get(user__email=EMAIL)
NoteReading.objects.filter(user=nurse.user).delete()
HandoverAcknowledgement.objects.filter(user=nurse.user).delete()
if LAST_SHIFT:
    HandoverAcknowledgement.objects.create(
        site=nurse.site, unit=nurse.unit, user=nurse.user, shift=LAST_SHIFT,
        shift_date=timezone.localdate(timezone.now(), nurse.site.zone) - datetime.timedelta(days=1),
    )
"""
READERS = {"back_from_yesterday_morning": None, "back_from_yesterday_afternoon": "afternoon"}


def set_reader(env: dict, nurse: dict, last_shift: str | None) -> None:
    code = READER.replace("EMAIL", repr(nurse["email"])).replace("LAST_SHIFT", repr(last_shift))
    _run([sys.executable, "manage.py", "shell", "--no-imports", "-v", "0", "-c", code], env)


def prepare(tmp: Path, residents: int, moment: datetime | None) -> tuple[dict, dict]:
    env = {**_env(tmp), **_clock(moment)}
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    _run([python, "manage.py", "createcachetable"], env)
    _run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    out = _run(
        [python, "manage.py", "seed_demo", "--sites", "1", "--staff-per-site", "16"]
        + ["--residents-per-site", str(residents), "--note-days", "2", "--seed", "2026"],
        env,
    )
    nurse = _account(out, "infirmiere@")
    code = MOVE_TO_ONE_UNIT.replace("EMAIL", repr(nurse["email"]))
    moved = _run([python, "manage.py", "shell", "--no-imports", "-v", "0", "-c", code], env).strip()
    nurse["unit_residents"] = int(moved.splitlines()[-1])
    return env, nurse


def _account(out: str, prefix: str) -> dict:
    lines = out.splitlines()
    for i, line in enumerate(lines):
        match = re.search(r"(\S+@\S+)\s+password: (\S+)", line)
        if match and match.group(1).startswith(prefix):
            codes = re.search(r"backup codes \(each works once\): (.+)$", lines[i + 1]).group(1).split()
            return {"email": match.group(1), "password": match.group(2), "codes": codes}
    raise SystemExit(f"no demo account {prefix}… in seed_demo's output")


def serve(env: dict, log: Path):
    port = _free_port()
    daphne = Path(sys.executable).with_name("daphne")
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own server
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"],
        cwd=ROOT,
        env={**env, "SITE_BASE_URL": url},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5):  # noqa: S310  # nosec B310 # http on loopback, the server this script started
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("Daphne did not start")


def _sign_in(page, url: str, nurse: dict) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", nurse["email"])
    page.fill("input[name=password]", nurse["password"])
    page.click("main form button[type=submit]")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", nurse["codes"].pop(0))
    page.click("main form button[type=submit]")
    page.wait_for_selector("input[name=code]", state="detached")


def _keys_to_form(page) -> int | None:
    """Key presses (Tab, and Enter on a link to the note form) from the top of the page to its first field."""
    page.reload()  # focus at the very top of the page, as when it opens
    presses = 0
    while presses < 400:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate(f"document.activeElement && document.activeElement.matches({FIELD_SELECTOR!r})"):
            return presses
        if page.evaluate("document.activeElement && document.activeElement.matches('a[href$=\"#write\"]')"):
            page.keyboard.press("Enter")
            presses += 1
            if page.evaluate(f"document.activeElement && document.activeElement.matches({FIELD_SELECTOR!r})"):
                return presses
    return None


def measure(page, url: str, viewport: tuple[int, int], screenshots: Path | None = None) -> dict:
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{url}/residents/handover/")
    page.wait_for_load_state("networkidle")
    doc_height = page.evaluate("document.documentElement.scrollHeight")
    first_note = page.evaluate(
        "(() => { const n = document.querySelector('article.note'); "
        "return n ? Math.round(n.getBoundingClientRect().top + window.scrollY) : null; })()"
    )
    figures = {
        "viewport": f"{width}x{height}",
        "page_screens": math.ceil(doc_height / height),
        "first_note_px": first_note,
    }
    first_row = page.evaluate(
        "(() => { const r = document.querySelector('details.handover-row'); "
        "return r ? Math.round(r.getBoundingClientRect().top + window.scrollY) : null; })()"
    )
    if first_row is not None:
        figures["first_resident_row_px"] = first_row
    figures["keys_to_note_form"] = _keys_to_form(page)
    if screenshots:
        page.reload()
        page.screenshot(path=str(screenshots / f"handover-{width}.png"), full_page=True)
    priority = page.query_selector("[data-handover-priority]")
    if priority is None:
        # One long page: every note is on it, read from top to bottom.
        chars = page.evaluate(
            "Array.from(document.querySelectorAll('article.note .dar dd')).reduce((n, e) => n + e.innerText.length, 0)"
        )
        seconds = chars / CHARS_PER_SECOND + figures["page_screens"] * SECONDS_PER_SCREEN
        figures.update(characters_to_read=chars, taps=0, modelled_reading_seconds=round(seconds))
        return figures
    figures["priority_screens"] = math.ceil(priority.bounding_box()["height"] / height)
    rows = page.query_selector_all("[data-handover-priority] details.handover-row")
    figures["flagged_residents"] = len(rows)
    open_all = page.query_selector("[data-handover-priority] [data-open-all]")
    if open_all is not None:
        open_all.click()
        taps = 1
    else:
        taps = 0
        for row in rows:
            if not row.evaluate("r => r.open"):
                row.query_selector("summary").click()
                taps += 1
    page.wait_for_timeout(300)
    opened_screens = math.ceil(page.query_selector("[data-handover-priority]").bounding_box()["height"] / height)
    chars = page.evaluate(
        "Array.from(document.querySelectorAll('[data-handover-priority] article.note.is-new .dar dd'))"
        ".reduce((n, e) => n + e.innerText.length, 0)"
    )
    figures["new_notes"] = page.evaluate(
        "document.querySelectorAll('[data-handover-priority] article.note.is-new').length"
    )
    seconds = chars / CHARS_PER_SECOND + opened_screens * SECONDS_PER_SCREEN + taps * SECONDS_PER_TAP
    figures.update(
        opened_screens=opened_screens,
        characters_to_read=chars,
        taps=taps,
        modelled_reading_seconds=round(seconds),
        of_which_reading_text_seconds=round(chars / CHARS_PER_SECOND),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument("--at", default="06:45", help="local time in Paris the clock starts at (HH:MM), or 'now'")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--screenshots", type=Path, help="folder for full-page screenshots of the handover")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    moment = None if args.at == "now" else next_local(args.at)
    with tempfile.TemporaryDirectory(prefix="carehub-handover-") as name:
        tmp = Path(name)
        (tmp / "mail").mkdir()
        env, nurse = prepare(tmp, args.residents, moment)
        results = {
            "residents_in_unit": nurse["unit_residents"],
            "clock": moment.isoformat() if moment else "real time",
            "model": {
                "chars_per_second": CHARS_PER_SECOND,
                "seconds_per_screen": SECONDS_PER_SCREEN,
                "seconds_per_tap": SECONDS_PER_TAP,
            },
        }
        for reader, last_shift in READERS.items():
            set_reader(env, nurse, last_shift)
            process, url = serve(env, tmp / "daphne.log")
            try:
                results[reader] = {}
                with sync_playwright() as p:
                    browser = p.chromium.launch(
                        executable_path=CHROMIUM,
                        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                    )
                    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
                    _sign_in(context.new_page(), url, nurse)  # seed_demo prints three backup codes
                    for label, viewport in VIEWPORTS.items():
                        # Each viewport reads as the same person arriving: nothing read yet.
                        page = context.new_page()
                        results[reader][label] = measure(page, url, viewport, args.screenshots)
                        page.close()  # its read marks are all sent (pagehide) before the next reader starts
                        set_reader(env, nurse, last_shift)
                    context.close()
                    browser.close()
            finally:
                process.terminate()
                process.wait(timeout=10)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
