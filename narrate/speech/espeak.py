"""espeak-ng as Piper bundles it: its compiled word dictionaries and its phonemes."""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path

from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP
from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

from narrate.errors import ConfigError
from narrate.speech.lang import primary_subtag

log = logging.getLogger(__name__)

ESPEAK_VOICES = {"en": "en-us"}
"""espeak-ng voice per language where it is not the language code (the joe voice's `en-us`)."""

PHONEME_CHARS = frozenset(k for k in DEFAULT_PHONEME_ID_MAP if len(k) == 1 and k not in "_^$g")
"""Characters Piper voices accept inside `[[ ]]`; `_ ^ $` are Piper's own markers and ASCII g is
not an espeak phoneme (espeak writes ɡ, U+0261)."""

_N_HASH = 1024
"""Hash chains at the start of every *_dict file (dictionary.c N_HASH_DICT)."""
_BLOCK = re.compile(r"(\[\[.*?\]\])")
"""How Piper finds raw phoneme blocks in text (piper/voice.py)."""
_LOCK = threading.Lock()


def espeak_voice(lang: str) -> str:
    """The espeak-ng voice narrate uses for a language code such as `en` or `de`."""
    base = primary_subtag(lang)
    return ESPEAK_VOICES.get(base, base)


def _latin_transpose() -> dict[int, int]:
    """tr_languages.c transpose_map_latin: code point → 6-bit code (a-z 1..26, then 27..57)."""
    codes = {0x60 + i: i for i in range(1, 27)}
    accented = (
        0xE0, 0xE1, 0xE2, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xED, 0xEE, 0xF3, 0xF6, 0xF8,
        0xFA, 0xFC, 0x103, 0x105, 0x107, 0x10D, 0x111, 0x119, 0x142, 0x144, 0x15B, 0x161, 0x163,
        0x17A, 0x17C, 0x17E,
    )  # fmt: skip
    codes.update({point: code for code, point in enumerate(accented, start=27)})
    return codes


_TRANSPOSE = _latin_transpose()


def dictionary_key(word: str) -> bytes:
    """How espeak-ng stores a lower-case word in a Latin-script *_dict: length byte, then text.

    Words made only of transposable letters are packed 6 bits a letter and flagged with bit 6 of
    the length (dictionary.c TransposeAlphabet); others are stored as UTF-8.
    """
    codes = [_TRANSPOSE.get(ord(ch), 0) for ch in word]
    if codes and all(codes):
        bits = 0
        for code in codes:
            bits = (bits << 6) | code
        nbits = 6 * len(codes)
        pad = -nbits % 8
        packed = (bits << pad).to_bytes((nbits + pad) // 8, "big")
        return bytes([len(packed) | 0x40]) + packed
    raw = word.encode("utf-8")
    return bytes([len(raw) & 0x7F]) + raw


@functools.cache
def dictionary_keys(lang: str) -> frozenset[bytes]:
    """Every word entry of espeak-ng's compiled dictionary for `lang`, as dictionary_key()s."""
    path = Path(ESPEAK_DATA_DIR) / f"{primary_subtag(espeak_voice(lang))}_dict"
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("no espeak-ng dictionary for %r (%s): every word counts as unknown", lang, exc)
        return frozenset()
    if int.from_bytes(data[0:4], "little") != _N_HASH:
        log.warning("%s is not a compiled espeak-ng dictionary", path)
        return frozenset()
    rules_at = int.from_bytes(data[4:8], "little")
    keys: set[bytes] = set()
    pos = 8
    for _ in range(_N_HASH):
        # Each chain is a run of entries [size, word length + flags, word, ...] ended by a 0.
        while pos < rules_at and (size := data[pos]):
            keys.add(
                bytes([data[pos + 1] & 0x7F]) + data[pos + 2 : pos + 2 + (data[pos + 1] & 0x3F)]
            )
            pos += size
        pos += 1
    return frozenset(keys)


def in_dictionary(word: str, lang: str = "en") -> bool:
    """Whether espeak-ng's dictionary lists the word (compared in lower case), rather than
    pronouncing it by its spelling rules."""
    return dictionary_key(word.lower()) in dictionary_keys(lang)


@functools.cache
def _phonemizer() -> EspeakPhonemizer:
    return EspeakPhonemizer()


def phonemize(text: str, lang: str = "en") -> str:
    """The phonemes Piper gives a voice of this language for `text`, `[[ ]]` blocks passed as is."""
    voice = espeak_voice(lang)
    out: list[str] = []
    with _LOCK:
        phonemizer = _phonemizer()
        for part in _BLOCK.split(text):
            if part.startswith("[["):
                out.append(part[2:-2].strip())
            elif part.strip():
                try:
                    sentences = phonemizer.phonemize(voice, part)
                except RuntimeError as exc:  # espeak-ng has no such voice
                    raise ConfigError(f"espeak-ng has no voice for language {lang!r}") from exc
                out.append(" ".join("".join(s) for s in sentences).strip())
    return " ".join(p for p in out if p)
