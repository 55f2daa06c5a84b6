"""Lexicon files: the bundled default, then user TOML files, checked with file:line errors."""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from narrate.errors import ConfigError
from narrate.speech import espeak as espeak_dict
from narrate.speech.lang import primary_subtag
from narrate.speech.lexicon import Entry, Lexicon, is_acronym

log = logging.getLogger(__name__)

_OPTIONS = {
    "say": str,
    "phonemes": str,
    "letters": bool,
    "case_sensitive": bool,
    "whole_word": bool,
}
_KINDS = ("say", "phonemes", "letters")
_LANG = re.compile(r"[a-z]{2,3}")
_MAX_KEY = 80


def default_lexicon_file(lang: str = "en") -> Path | None:
    """The bundled default lexicon of a language (package data of narrate.profiles), if any."""
    path = Path(
        str(resources.files("narrate.profiles") / "lexicon" / f"{primary_subtag(lang)}.toml")
    )
    return path if path.is_file() else None


def load_lexicon(lang: str, user_files: Sequence[Path] = ()) -> Lexicon:
    """The bundled default for `lang`, then each user file in order, later entries overriding."""
    lang = primary_subtag(lang) or "en"
    merged: dict[str, Entry] = {}
    default = default_lexicon_file(lang)
    files = [*([default] if default else []), *(Path(p) for p in user_files)]
    for path in files:
        for folded, entry in _read_file(path, lang).items():
            merged.pop(folded, None)
            if entry is not None:
                merged[folded] = entry
    log.debug("lexicon for %s: %d entries from %d file(s)", lang, len(merged), len(files))
    return Lexicon(lang, tuple(merged.values()))


def _read_file(path: Path, lang: str) -> dict[str, Entry | None]:
    """The file's entries for `lang`, keyed case-folded; None marks a removed entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"lexicon file {path} not found; check the --lexicon path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read lexicon file {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}{_syntax_error_place(text, str(exc))}: not valid TOML: {exc}"
        ) from exc
    for name, table in data.items():
        if not _LANG.fullmatch(name) or not isinstance(table, dict):
            line = _line_of(text, None, name)
            raise ConfigError(
                f"{path}:{line}: unknown top-level key {name!r}; entries go in language "
                "tables such as [en]"
            )
        for key, value in table.items():
            _validate(path, text, name, key, value)
    out: dict[str, Entry | None] = {}
    for key, value in data.get(lang, {}).items():
        folded = key.casefold()
        if folded in out:
            first = next(k for k in data[lang] if k.casefold() == folded)
            raise ConfigError(
                f"{path}:{_line_of(text, lang, key)}: [{lang}] {key!r}: defined twice "
                f"(also as {first!r}); keys differing only in case are the same entry"
            )
        out[folded] = _entry(path, key, value)
    return out


def _validate(path: Path, text: str, lang: str, key: str, value: Any) -> None:
    """Raise ConfigError naming file, line and entry for anything malformed."""

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{path}:{_line_of(text, lang, key)}: [{lang}] {key!r}: {problem}")

    if not key.strip() or key != key.strip() or "\n" in key:
        raise fail("the word must not be empty or start or end with spaces")
    if len(key) > _MAX_KEY:
        raise fail(f"the word is longer than {_MAX_KEY} characters")
    if "[[" in key or "]]" in key:
        raise fail("the word must not contain [[ or ]]")
    if value is False:
        return
    if isinstance(value, str):
        value = {"say": value}
    if not isinstance(value, dict):
        raise fail(
            f'expected a respelling string, false, or a table like {{ phonemes = "..." }}, '
            f"not {type(value).__name__}"
        )
    unknown = sorted(set(value) - set(_OPTIONS))
    if unknown:
        raise fail(f"unknown option(s) {', '.join(unknown)}; options are {', '.join(_OPTIONS)}")
    for option, kind in _OPTIONS.items():
        if option in value and not isinstance(value[option], kind):
            raise fail(f"{option} must be {'true or false' if kind is bool else 'a string'}")
    kinds = [k for k in _KINDS if k in value]
    if len(kinds) != 1:
        raise fail("give exactly one of say, phonemes or letters")
    if "say" in value:
        say = value["say"]
        if not say.strip():
            raise fail("the respelling is empty")
        if "[[" in say or "]]" in say or "\n" in say:
            raise fail('a respelling must be plain text; put phonemes in { phonemes = "..." }')
    if "phonemes" in value:
        problem = phoneme_problem(value["phonemes"])
        if problem:
            raise fail(problem)
    if value.get("letters") and not any(ch.isalnum() for ch in key):
        raise fail("letters = true needs letters or digits to spell")


def phoneme_problem(phonemes: str) -> str | None:
    """Why a phoneme string cannot go to Piper as [[ ]], or None when it can."""
    if not phonemes.strip():
        return "phonemes are empty"
    if "[" in phonemes or "]" in phonemes:
        return "phonemes must not contain [ or ]; narrate adds the [[ ]] itself"
    for ch in phonemes:
        if ch in espeak_dict.PHONEME_CHARS:
            continue
        name = unicodedata.name(ch, "unnamed")
        hint = "; use ɡ (U+0261, LATIN SMALL LETTER SCRIPT G)" if ch == "g" else ""
        return f"phonemes contain {ch!r} (U+{ord(ch):04X} {name}), unknown to Piper voices{hint}"
    if not any(unicodedata.category(ch) in ("Ll", "Lo") for ch in phonemes):
        return "phonemes hold no sounds, only marks"
    return None


def _entry(path: Path, key: str, value: Any) -> Entry | None:
    if value is False:
        return None
    options: Mapping[str, Any] = {"say": value} if isinstance(value, str) else value
    return Entry(
        key=key,
        say=options.get("say"),
        phonemes=options.get("phonemes"),
        letters=options.get("letters"),
        case_sensitive=options.get("case_sensitive", is_acronym(key)),
        whole_word=options.get("whole_word", True),
        source=str(path),
    )


def _syntax_error_place(text: str, message: str) -> str:
    """`:LINE (the line's text)` when a TOML error message names a line."""
    found = re.search(r"at line (\d+)", message)
    lines = text.splitlines()
    if not found or not 0 < int(found.group(1)) <= len(lines):
        return ""
    number = int(found.group(1))
    return f":{number} ({lines[number - 1].strip()[:60]})"


_HEADER = re.compile(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def _line_of(text: str, lang: str | None, key: str) -> int | str:
    """The line where `key` is defined (in table [lang], or at top level), else '?'."""
    quoted = f"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
    if lang is None:
        wanted = re.compile(rf"\s*(?:\[\s*)?{quoted}\s*(?:=|\]|\.)")
    else:
        wanted = re.compile(rf"\s*(?:{re.escape(lang)}\s*\.\s*)?{quoted}\s*=")
    section: str | None = None
    header_line: int | str = "?"
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = header.group(1).strip("\"'")
            if lang is not None and section == lang:
                header_line = number
            if lang is None and section == key:
                return number
            continue
        in_scope = section is None or (lang is not None and section == lang)
        if in_scope and wanted.match(line):
            return number
    return header_line
