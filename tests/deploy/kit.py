"""Reading the deployment kit (deploy/) as its users do: nginx's syntax, systemd units, the env file.

Shared by the tests of this folder; the stack test renders these very files for loopback.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "carehub.conf"
SYSTEMD = DEPLOY / "systemd"
ENV_SAMPLE = DEPLOY / "carehub.env.example"
UNITS = ("carehub-gunicorn.service", "carehub-daphne.service", "carehub-worker.service", "carehub-beat.service")

#: Where the kit expects things on a server (replaced by the stack test).
CODE_DIR = "/opt/carehub"
VENV_BIN = "/opt/carehub/.venv/bin/"
STATE_DIR = "/var/lib/carehub"


# --- nginx -------------------------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    children: list[Directive] = field(default_factory=list)

    def find(self, name: str) -> list[Directive]:
        """Directives called ``name`` anywhere below this one."""
        found = []
        for child in self.children:
            if child.name == name:
                found.append(child)
            found.extend(child.find(name))
        return found

    def value(self, name: str) -> list[str] | None:
        """Arguments of the direct child ``name`` (None when absent)."""
        return next((child.args for child in self.children if child.name == name), None)


_TOKEN = re.compile(r"""\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{};])|([^\s{};"'#]+))""")


def nginx_parse(text: str) -> Directive:
    """nginx's configuration syntax as a tree of directives (comments dropped, quotes removed)."""
    root = Directive("", [])
    stack, words = [root], []
    position = 0
    for match in _TOKEN.finditer(text):
        position = match.end()
        comment, quoted, punct, word = match.groups()
        if comment:
            continue
        if quoted or word:
            words.append(quoted[1:-1] if quoted else word)
        elif punct == ";":
            stack[-1].children.append(Directive(words[0], words[1:]))
            words = []
        elif punct == "{":
            block = Directive(words[0], words[1:])
            stack[-1].children.append(block)
            stack.append(block)
            words = []
        elif punct == "}":
            assert not words, f"unterminated directive {words}"
            stack.pop()
    assert not text[position:].strip(), "unparsed text at the end"
    assert len(stack) == 1 and not words, "unbalanced braces"
    return root


def nginx_site() -> Directive:
    return nginx_parse(NGINX_SITE.read_text(encoding="utf-8"))


def nginx_size(value: str) -> int:
    """An nginx size (``251m``, ``64k``, ``1g`` or bytes) in bytes."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value)
    assert match, value
    return int(match[1]) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match[2].lower()]


def servers(site: Directive) -> list[Directive]:
    """The server {} blocks (not the "server" lines of upstreams)."""
    return [child for child in site.children if child.name == "server"]


def tls_server(site: Directive) -> Directive:
    return next(s for s in servers(site) if any("ssl" in listen.args for listen in s.find("listen")))


def internal_location(site: Directive) -> Directive:
    """The one location that serves MEDIA_ROOT, for X-Accel-Redirect only."""
    (location,) = [loc for loc in site.find("location") if loc.value("internal") is not None]
    return location


# --- systemd -----------------------------------------------------------------------------------


def unit_read(name: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file as {section: [(key, value), ...]} (keys may repeat, as systemd allows)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{name}: {line!r} outside a section"
        current.append((key.strip(), value.strip()))
    return sections


def unit_value(unit: dict, section: str, key: str) -> str | None:
    values = [v for k, v in unit.get(section, []) if k == key]
    return values[-1] if values else None


def exec_start(name: str) -> list[str]:
    """The ExecStart command line of a unit, as arguments."""
    command = unit_value(unit_read(name), "Service", "ExecStart")
    assert command, f"{name} has no ExecStart"
    return shlex.split(command)


# --- the environment file ----------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def env_sample_names() -> set[str]:
    """Every variable the sample names, set or commented out (``# NAME=default``)."""
    names = set()
    for line in ENV_SAMPLE.read_text(encoding="utf-8").splitlines():
        if match := _ASSIGNMENT.match(line.strip()):
            names.add(match[2])
    return names


def env_file_parse(text: str) -> dict[str, str]:
    """Assignments of a systemd EnvironmentFile (commented ones left out)."""
    values = {}
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match and not match[1]:
            value = match[3].strip()
            values[match[2]] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


ENV_HELPERS = {"env_str", "env_int", "env_float", "env_bool", "env_list", "env_secret"}
NOT_PROJECT_CODE = {
    ".venv",
    "tests",
    "bench",
    "var",
    "node_modules",
    "locale",
    "static",
    "templates",
    ".git",
    ".ci",
}  # .ci: the CI tooling, not read by a deployed CareHub


def project_modules() -> list[Path]:
    """The project's Python files: what production runs (tests and benchmarks aside)."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not NOT_PROJECT_CODE & set(path.relative_to(ROOT).parts[:-1]) and "migrations" not in path.parts
    )


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", "") == "os"


def variables_read() -> dict[str, list[str]]:
    """{variable: ["path:line", ...]} for every environment variable the project reads.

    Found in the source: calls to carehub.env's helpers (``env_int("NAME", ...)``; secrets also
    read NAME_FILE) and every use of ``os.environ`` / ``os.getenv`` with a literal name.
    A name that is not a literal is refused, except inside carehub/env.py, which reads for the helpers.
    """
    found: dict[str, list[str]] = {}
    helpers_home = ROOT / "carehub" / "env.py"
    for path in project_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name_node = None
            if isinstance(node, ast.Call):
                func = node.func
                func_name = getattr(func, "id", None) or getattr(func, "attr", None)
                if func_name in ENV_HELPERS and node.args:
                    name_node = node.args[0]
                elif isinstance(func, ast.Attribute) and (
                    (_is_os_environ(func.value) and func.attr in ("get", "setdefault", "pop"))
                    or (func.attr == "getenv" and getattr(func.value, "id", "") == "os")
                ):
                    name_node = node.args[0] if node.args else None
            elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
                name_node = node.slice
            if name_node is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
                assert path == helpers_home, f"{where}: name the environment variable with a literal"
                continue
            found.setdefault(name_node.value, []).append(where)
    return found
