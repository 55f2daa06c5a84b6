"""A network namespace of its own, where a public address (8.8.8.8) is local to a test server.

The private-address guard needs a public first hop to test redirects inward; only root can make
such a namespace, so these tests skip elsewhere.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PUBLIC = "8.8.8.8"
"""A global address that the namespace gives its loopback interface."""

NETNS_SERVER = f"""
import json, sys
from tests.http_server import start
SERVER, _ = start("0.0.0.0")  # its daemon thread ends with the process
PORT = int(SERVER.base.rsplit(":", 1)[1])
BASE = f"http://{PUBLIC}:{{PORT}}"
"""
"""Code that starts the test server in the namespace: SERVER, PORT and BASE (the public URL)."""


@functools.cache
def netns_available() -> bool:
    """True when this process may create a network namespace (root with unshare and ip)."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = subprocess.run(["unshare", "--net", "ip", "link", "set", "lo", "up"], check=False)
    return probe.returncode == 0


def run_in_netns(code: str, *args: str, timeout: float = 120) -> dict:
    """Run Python `code` in a new network namespace where PUBLIC is local; its last line as JSON."""
    if not netns_available():
        pytest.skip("needs root and `unshare --net` to give a public address to a test server")
    setup = (
        "import subprocess\n"
        "subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)\n"
        f"subprocess.run(['ip', 'addr', 'add', '{PUBLIC}/32', 'dev', 'lo'], check=True)\n"
    )
    run = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", setup + code, *args],
        capture_output=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 0, run.stderr.decode()
    return json.loads(run.stdout.decode().splitlines()[-1])
