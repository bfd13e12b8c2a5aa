"""The README's first command, run as a newcomer runs it: `make run` in a clean environment.

Nothing of the test session's environment reaches it (no PORT, DATABASE_URL, REDIS_URL,
DJANGO_SETTINGS_MODULE…), only PATH/HOME/LANG and a fresh var directory, so the address the banner
prints must be the address that answers.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BANNER = re.compile(r"SocialOps is starting on (http://[^/\s]+/)")


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _clean_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        # A var directory of its own: a fresh SQLite database, broker folder and keys, as on a
        # fresh clone (the repository's own var/ is left alone).
        "SOCIALOPS_VAR_DIR": str(tmp_path / "var"),
    }
    env.update(extra)
    return env


def _run_until_healthy(env: dict[str, str]) -> tuple[str, dict]:
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        address = None
        deadline = time.monotonic() + 300
        while address is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            match = BANNER.search(line)
            if match:
                address = match.group(1)
        assert address, "make run printed no address:\n" + "".join(output[-40:])
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                r = httpx.get(address + "healthz", timeout=2)
                if r.status_code == 200:
                    health = r.json()
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "make run stopped:\n" + "".join(output[-40:])
            time.sleep(0.5)
        assert health is not None, f"nothing answered at {address}healthz"
        return address, health
    finally:
        _stop_tree(proc)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (honcho puts web, worker and beat in process groups of their own,
    so signalling make's group alone would leave them running)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _stop_tree(proc: subprocess.Popen) -> None:
    tree = _descendants(proc.pid)
    for pid in [proc.pid, *tree]:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
        time.sleep(0.2)
    for pid in [proc.pid, *tree]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)
    # a SIGKILL takes effect when the process next runs (on a loaded machine, not at once)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
        time.sleep(0.1)
    left = [pid for pid in tree if _alive(pid)]
    assert not left, f"make run left processes behind: {left}"


def test_make_run_answers_at_the_address_it_prints_on_8000_then_on_the_port_given(tmp_path):
    """Run twice, as a newcomer does: first with nothing set (127.0.0.1:8000), then again on a port
    of their choosing with a copied ``.env``'s empty DATABASE_URL and REDIS_URL (the embedded
    defaults, not a traceback). The second run finds the first one's database, migrated and
    seeded, as on a developer's machine (one set-up of the two: each took ~30 s of the suite)."""
    if os.environ.get("CI") or not _port_in_use(8000):
        address, health = _run_until_healthy(_clean_env(tmp_path))
        assert address == "http://127.0.0.1:8000/"
        assert health["status"] == "ok"
        assert health["database"]["vendor"] == "sqlite"
        assert health["broker"]["transport"] == "filesystem"
    # else: port 8000 is in use on this machine (a make run of yours?): only the second run is tried

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address, health = _run_until_healthy(
        _clean_env(tmp_path, PORT=str(port), DATABASE_URL="", REDIS_URL="")
    )
    assert address == f"http://127.0.0.1:{port}/"
    assert health["status"] == "ok"
    assert health["database"]["vendor"] == "sqlite"
