"""Shared fixtures: an isolated clip cache, the sample article, and real HTTP(S) servers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from narrate.audio.cache import ClipCache
from tests.feed_helpers import Site
from tests.http_server import Server, serve


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never touch the user's cache; one cache per session keeps repeated clips cheap."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("NARRATE_CACHE_DIR")
    os.environ["NARRATE_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("NARRATE_CACHE_DIR", None)
    else:
        os.environ["NARRATE_CACHE_DIR"] = old


@pytest.fixture
def clip_cache(tmp_path: Path) -> ClipCache:
    """An empty clip cache of the test's own, sharing the session's derived model files."""
    shared = Path(os.environ["NARRATE_CACHE_DIR"]) / "models"
    shared.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "models").symlink_to(shared)
    return ClipCache(tmp_path / "cache")


@pytest.fixture(scope="session")
def sample() -> Path:
    """The sample article; its goldens sit beside it (.script.txt, .spoken.txt)."""
    return Path(__file__).resolve().parents[1] / "samples" / "zelensky-gauntlet.html"


@pytest.fixture
def http_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """A real HTTP server on a free port of 127.0.0.1 (parametrise indirectly with a host)."""
    host = getattr(request, "param", "127.0.0.1")
    with ExitStack() as stack:
        try:
            server = stack.enter_context(serve(host))
        except OSError as exc:
            if ":" not in host:
                raise
            pytest.skip(f"no IPv6 loopback here: {exc}")
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=test"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    """The same server over TLS with the test certificate (trusted only if a test says so)."""
    with serve(tls=certificate) as server:
        yield server


@pytest.fixture
def site(http_server: Server) -> Site:
    """A news site with pages and a feed on the test server."""
    return Site(http_server)
