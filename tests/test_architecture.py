"""The architecture holds: imports only go down the rooms, modules stay small, tests stand alone.

The imports are read with `ast` (top-level and inside functions, absolute and relative), so the
rule is checked on the code as written, not on what one run happens to import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "narrate"
MAX_LINES = 400
DATA_TABLES: frozenset[str] = frozenset()
"""Modules (paths under narrate/) that may pass MAX_LINES because they are pure data tables."""

ROOMS = ("article", "speech", "audio", "feed", "web", "cli")
EVERYTHING = frozenset({"config", "base", "pipeline", "entry", *ROOMS})
FORBIDDEN: dict[str, frozenset[str]] = {
    "config": EVERYTHING - {"config"},
    "base": EVERYTHING - {"config", "base"},
    "speech": frozenset({"article", "audio", "pipeline", "feed", "web", "cli", "entry"}),
    "article": frozenset({"audio", "pipeline", "feed", "web", "cli", "entry"}),
    "audio": frozenset({"pipeline", "feed", "web", "cli", "entry"}),
    "pipeline": frozenset({"feed", "web", "cli", "entry"}),
    "feed": frozenset({"web", "cli", "entry"}),
    "web": frozenset({"cli", "entry"}),
    "cli": frozenset({"entry"}),
    "entry": frozenset(),
}
"""Room → the rooms it must not import. config.py imports nothing of narrate but checks.py (the
kinds of value its settings take, which imports nothing), the other base modules only each
other and config."""


def room(module: str) -> str:
    """The room of a dotted narrate module name: a subpackage, config, pipeline, entry or base."""
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # the package's __init__
    if parts[1] in (*ROOMS, "config", "pipeline"):
        return parts[1]
    if parts[1] == "replay":
        return "pipeline"  # what the pipeline keeps and replays: composes the rooms as it does
    if parts[1] == "checks":
        return "config"  # the kinds of value settings take: below everything, as config is
    return "entry" if parts[1] == "__main__" else "base"


def module_name(path: Path) -> str:
    """narrate/audio/cache.py → narrate.audio.cache; a package's __init__ is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(module: str, source: str, is_package: bool = False) -> Iterator[tuple[int, str, str]]:
    """(line, imported module, statement) for each narrate module `source` imports."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # `from narrate import x` and `from narrate.audio import cache` name modules too.
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "narrate" or target.startswith("narrate."):
                yield node.lineno, target, ast.unparse(node)


def direction_violations(path: str, source: str) -> list[str]:
    """file:line messages for each import of `source` (at narrate-relative `path`) going up."""
    module = module_name(ROOT / path)
    here = room(module)
    found = []
    for line, target, statement in imports(module, source, path.endswith("__init__.py")):
        there = room(target)
        if there in FORBIDDEN[here]:
            found.append(f"{path}:{line}: {here} must not import {there}: {statement}")
    return found


def size_violation(path: str, source: str) -> str | None:
    """A message when `source` is longer than MAX_LINES and not an allowed data table."""
    lines = len(source.splitlines())
    if lines <= MAX_LINES or path.removeprefix("narrate/") in DATA_TABLES:
        return None
    return f"{path}: {lines} lines (at most {MAX_LINES}; split it by concern)"


def sources(folder: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(folder.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def independence_violations(path: str, source: str) -> list[str]:
    """Test modules import no other test module nor conftest; scripts import nothing of tests."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            leaf = name.removeprefix("tests.")
            shared = leaf.startswith(("test_", "conftest"))
            if (path.startswith("scripts/") and name.split(".")[0] == "tests") or shared:
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_imports_only_go_down() -> None:
    found = [v for path, source in sources(PACKAGE) for v in direction_violations(path, source)]
    assert not found, "\n".join(found)


def test_no_module_is_over_400_lines() -> None:
    found = [v for path, source in sources(PACKAGE) if (v := size_violation(path, source))]
    assert not found, "\n".join(found)


def test_tests_and_scripts_stand_alone() -> None:
    found = [
        v
        for folder in (ROOT / "tests", ROOT / "scripts")
        for path, source in sources(folder)
        for v in independence_violations(path, source)
    ]
    assert not found, "shared fixtures go in conftest.py:\n" + "\n".join(found)


def test_the_scan_reads_the_whole_package() -> None:
    read = dict(sources(PACKAGE))
    assert len(read) > 30 and "narrate/pipeline.py" in read
    seen = {t for _, t, _ in imports("narrate.pipeline", read["narrate/pipeline.py"])}
    assert any(t.startswith("narrate.audio.") for t in seen), seen


def test_data_table_allowlist_names_real_modules() -> None:
    assert all((PACKAGE / name).is_file() for name in DATA_TABLES)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        (
            "narrate/audio/cache.py",
            "import os\n\ndef f():\n    from narrate.feed import batch\n",
            [
                "narrate/audio/cache.py:4: audio must not import feed: "
                "from narrate.feed import batch"
            ],
        ),
        (
            "narrate/web/serve.py",
            "from ..cli import main\nfrom . import pages\n",
            ["narrate/web/serve.py:1: web must not import cli: from ..cli import main"],
        ),
        (
            "narrate/speech/lexicon.py",
            "import narrate.article.extract\nfrom narrate import pipeline, errors\n",
            [
                "narrate/speech/lexicon.py:1: speech must not import article: "
                "import narrate.article.extract",
                "narrate/speech/lexicon.py:2: speech must not import pipeline: "
                "from narrate import pipeline, errors",
            ],
        ),
        (
            "narrate/models.py",
            "from narrate.config import VERSION\nfrom narrate.audio.ffmpeg import run\n",
            [
                "narrate/models.py:2: base must not import audio: "
                "from narrate.audio.ffmpeg import run"
            ],
        ),
        (
            "narrate/config.py",
            "from narrate.models import Role\n",
            ["narrate/config.py:1: config must not import base: from narrate.models import Role"],
        ),
        (
            "narrate/feed/__init__.py",
            "from .batch import run\nfrom ..web import serve\n",
            ["narrate/feed/__init__.py:2: feed must not import web: from ..web import serve"],
        ),
        (
            "narrate/article/segment.py",
            "from narrate.speech import lexicon\nfrom narrate.models import Script\nimport os\n",
            [],
        ),
        (
            "narrate/cli/main.py",
            "from narrate import pipeline\nfrom narrate.web import serve\n",
            [],
        ),
        (
            "narrate/replay.py",
            "from narrate.audio import cache\nfrom narrate.feed import state\n",
            ["narrate/replay.py:2: pipeline must not import feed: from narrate.feed import state"],
        ),
    ],
)
def test_the_direction_check_catches_a_planted_import(
    path: str, source: str, expected: list[str]
) -> None:
    assert direction_violations(path, source) == expected


def test_the_size_check_catches_a_long_module() -> None:
    assert size_violation("narrate/x.py", "pass\n" * MAX_LINES) is None
    message = size_violation("narrate/x.py", "pass\n" * (MAX_LINES + 1))
    assert message == "narrate/x.py: 401 lines (at most 400; split it by concern)"


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("tests/test_a.py", "from tests.test_batch import page\n", 1),
        ("tests/test_a.py", "import conftest\nfrom tests.conftest import SAMPLE\n", 2),
        ("tests/test_a.py", "from tests.audio_helpers import speak\nimport testing\n", 0),
        ("scripts/bench.py", "def f():\n    from tests.audio_helpers import speak\n", 1),
        ("scripts/bench.py", "from narrate.audio import measure\n", 0),
    ],
)
def test_the_independence_check_catches_a_planted_import(
    path: str, source: str, found: int
) -> None:
    assert len(independence_violations(path, source)) == found
