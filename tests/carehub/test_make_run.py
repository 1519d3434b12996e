"""`make run` serves where it says and its e-mail links point there."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_commands(*args: str) -> str:
    # -n: print the commands without running them; the prerequisites are printed too.
    env = {k: v for k, v in os.environ.items() if k != "SITE_BASE_URL"}
    result = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return result.stdout


def test_e_mail_links_follow_the_port_served():
    daphne = next(line for line in _run_commands("PORT=8123").splitlines() if "daphne" in line)
    assert daphne.startswith("SITE_BASE_URL=http://127.0.0.1:8123 ")
