"""Pronunciation lexicons: respellings, raw phonemes and spelled-out acronyms for the voice.

A lexicon file is TOML with one table per language; each key is a word or phrase as it appears
in the text:

    [en]
    Yermak = "Yer-mahk"                          # respelling: the voice reads this instead
    Peskov = { phonemes = "pjˈɛskɔf" }           # espeak-ng IPA, sent to Piper as [[ ... ]]
    ICBM = { letters = true }                    # spelled out, letter by letter
    UNESCO = { letters = false }                 # read as a word, never spelled
    Xi = { phonemes = "ʃˈiː", case_sensitive = true }
    Kyiv = false                                 # drop an entry of an earlier lexicon

A lexicon applies to each sentence's spoken text, after the normaliser. Matching is on whole
words (`whole_word = false` matches inside words too). Keys written in capitals (two or more
letters, all upper case, like ICBM) match case-sensitively, so the acronym WHO never changes the
word "who", and also match the forms the normaliser writes for acronyms (W.H.O, W-H-O's, and
from five letters Unesco); every other key matches in any case unless `case_sensitive = true`.
English possessives follow the entry: "Peskov's" becomes [[pjˈɛskɔfs]], "Yermak's" becomes
"Yer-mahk's". Later lexicons override earlier ones entry by entry (keys compared
case-insensitively): the bundled default, then user files in order.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from narrate.errors import ConfigError
from narrate.models import Script, Segment
from narrate.speech import espeak as espeak_dict
from narrate.speech.spoken import to_spoken

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
_APOSTROPHES = "'’"
_TRAILING = re.compile(r"([\"”’»)\]]*)([.,;:!?]+)")
"""Punctuation after a phoneme block goes inside it: Piper drops it when it follows a block."""
# Piper phonemizes the text before a [[ ]] block as a clause of its own, so espeak-ng stresses its
# last word as clause-final ("a" becomes the letter ˈeɪ, "in" ˈɪn). A function word there goes
# inside the block in the form espeak-ng (en-us) gives it mid-sentence, measured on
# "Then WORD Bob left." / "Then WORD Ann left.".
_WEAK_FORMS = {
    "a": "ɐ", "to": "tə", "by": "baɪ", "in": "ɪn", "on": "ˌɔn", "be": "biː", "has": "hɐz",
    "have": "hæv", "had": "hæd", "will": "wɪl", "would": "wʊd", "can": "kæn", "could": "kʊd",
    "should": "ʃˌʊd", "might": "mˌaɪt", "that": "ðæt", "this": "ðɪs", "these": "ðiːz",
    "those": "ðoʊz", "his": "hɪz", "my": "maɪ", "who": "hˌuː", "which": "wˌɪtʃ", "what": "wʌt",
    "when": "wɛn", "where": "wˌɛɹ", "not": "nˌɑːt", "so": "sˌoʊ", "about": "ɐbˌaʊt",
    "onto": "ˌɑːntʊ", "over": "ˌoʊvɚ", "under": "ˌʌndɚ", "before": "bᵻfˌɔːɹ",
    "between": "bᵻtwˌiːn", "without": "wɪðˌaʊt", "within": "wɪðˌɪn",
}  # fmt: skip
_WEAK_BEFORE_VOWEL = {"the": "ðɪ", "an": "ɐn", "to": "tʊ", "a": "ɐ"}
_WEAK_BEFORE = re.compile(
    r"(?<![\w'’-])(" + "|".join({*_WEAK_FORMS, *_WEAK_BEFORE_VOWEL}) + r") +$", re.IGNORECASE
)
_VOWELS = frozenset("aeiouæɐɑɒɔəɚɛɜɝɞɪʊʌᵻ")
_NEIGHBOURS = re.compile(r"\]\] +\[\[")
_VOICELESS = frozenset("ptkfθ")
_SIBILANTS = ("s", "z", "ʃ", "ʒ")


@dataclass(frozen=True)
class Entry:
    """One word or phrase and how the voice should say it."""

    key: str
    """The word as written in the text."""
    say: str | None = None
    """A respelling the voice reads instead."""
    phonemes: str | None = None
    """espeak-ng IPA passed to Piper as a raw `[[ ]]` block."""
    letters: bool | None = None
    """True: spell it letter by letter; False: read it as a word."""
    case_sensitive: bool = False
    whole_word: bool = True
    source: str = ""
    """The lexicon file that defined it."""


@dataclass(frozen=True)
class Lexicon:
    """The entries for one language, applied to spoken text in one pass."""

    lang: str
    entries: tuple[Entry, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _by_group: dict[int, Entry] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entries = tuple(_resolve_letters(e, self.lang) for e in self.entries)
        object.__setattr__(self, "entries", entries)
        pattern, groups = _compile(entries, possessive=self.lang == "en")
        object.__setattr__(self, "_pattern", pattern)
        object.__setattr__(self, "_by_group", groups)

    def get(self, word: str) -> Entry | None:
        """The entry that would replace `word` standing alone, if any."""
        if self._pattern is None:
            return None
        match = self._pattern.fullmatch(word)
        return self._by_group[match.lastindex] if match and match.lastindex else None

    def apply(self, spoken: str) -> str:
        """The spoken text with every entry's words replaced by what the voice should get."""
        if self._pattern is None or not spoken:
            return spoken
        out: list[str] = []
        pos = 0
        for match in self._pattern.finditer(spoken):
            if match.start() < pos:
                continue  # inside trailing punctuation already taken by a phoneme block
            index = match.lastindex
            assert index is not None
            entry = self._by_group[index]
            possessive = match.group(index + 1) or ""
            before = spoken[pos : match.start()]
            pos = match.end()
            if entry.phonemes is None:
                out.extend((before, _say(entry), possessive))
                continue
            phonemes = entry.phonemes + (_possessive_phonemes(entry.phonemes) if possessive else "")
            weak = _weak_form(before, phonemes) if self.lang == "en" else None
            if weak:
                before, form = weak
                phonemes = f"{form} {phonemes}"
            trailing = _TRAILING.match(spoken, pos)
            closers = ""
            if trailing:
                closers, punct = trailing.groups()
                phonemes += punct
                pos = trailing.end()
            elif spoken.startswith("-", pos) and spoken[pos + 1 : pos + 2].isalpha():
                closers, pos = " ", pos + 1  # "Peskov-led": Piper would run the words together
            out.extend((before, f"[[{phonemes}]]{closers}"))
        out.append(spoken[pos:])
        # Piper would put two word gaps between neighbouring blocks; one block has one.
        return _NEIGHBOURS.sub(" ", "".join(out))


def _weak_form(before: str, phonemes: str) -> tuple[str, str] | None:
    """(text before it, weak phonemes) when `before` ends with a function word to move."""
    found = _WEAK_BEFORE.search(before)
    if not found:
        return None
    word = found.group(1).lower()
    vowel = phonemes.lstrip("ˈˌ")[:1] in _VOWELS
    form = _WEAK_BEFORE_VOWEL.get(word) if vowel else _WEAK_FORMS.get(word)
    return (before[: found.start()], form) if form else None


def _say(entry: Entry) -> str:
    if entry.say is not None:
        return entry.say
    # letters = false: espeak-ng spells capitals it cannot pronounce, so give it "Unesco".
    return entry.key[:1] + entry.key[1:].lower()


def _possessive_phonemes(phonemes: str) -> str:
    """English 's after these phonemes: /s/ after voiceless stops and fricatives, /ᵻz/ after
    sibilants, else /z/ (the endings espeak-ng gives "cats", "roses", "dogs")."""
    core = phonemes.rstrip("ˈˌːˑ ")
    if core.endswith(_SIBILANTS):
        return "ᵻz"
    if core[-1:] in _VOICELESS:
        return "s"
    return "z"


def _compile(
    entries: Sequence[Entry], possessive: bool
) -> tuple[re.Pattern[str] | None, dict[int, Entry]]:
    """One alternation, longest keys first, two groups per entry: (whole match)(possessive)."""
    if not entries:
        return None, {}
    parts: list[str] = []
    groups: dict[int, Entry] = {}
    for number, entry in enumerate(sorted(entries, key=lambda e: (-len(e.key), e.key))):
        acronym = _is_acronym(entry.key) and entry.key.isalnum()
        if not possessive:
            poss = "((?!))?"
        elif acronym:
            poss = f"([{_APOSTROPHES}]?s)?"  # ICBMs, ICBM's, F-B-I's
        else:
            poss = f"([{_APOSTROPHES}]s)?"
        key = _key_pattern(entry.key, acronym)
        if not entry.case_sensitive:
            key = f"(?i:{key})"
        if entry.whole_word:
            key = rf"(?<!\w){key}"
            tail = r"(?!\w)"
        else:
            tail = ""
        parts.append(f"({key}{poss}{tail})")
        groups[2 * number + 1] = entry
    return re.compile("|".join(parts)), groups


def _key_pattern(key: str, acronym: bool) -> str:
    """The key as a pattern; an acronym also matches the forms the normaliser writes for it:
    spelled (F.B.I, F-B-I) and, from five letters, capitalised (UNESCO → Unesco)."""
    if not acronym:
        return r"\s+".join(re.escape(word) for word in key.split())
    forms = ["[.-]?".join(re.escape(ch) for ch in key)]
    if len(key) >= 5:
        forms.append(re.escape(key[0] + key[1:].lower()))
    return "(?:" + "|".join(forms) + ")"


def apply_to_script(script: Script, lexicon: Lexicon) -> Script:
    """A new Script with every sentence's spoken text passed through the lexicon."""

    def segment(seg: Segment) -> Segment:
        sentences = tuple(
            dataclasses.replace(s, spoken=lexicon.apply(s.spoken)) for s in seg.sentences
        )
        return dataclasses.replace(seg, sentences=sentences)

    chapters = tuple(
        dataclasses.replace(c, segments=tuple(segment(s) for s in c.segments))
        for c in script.chapters
    )
    return dataclasses.replace(script, chapters=chapters)


# --- loading ---------------------------------------------------------------------------------


def default_lexicon_file(lang: str = "en") -> Path | None:
    """The bundled default lexicon of a language (package data of narrate.profiles), if any."""
    path = Path(
        str(resources.files("narrate.profiles") / "lexicon" / f"{_base_language(lang)}.toml")
    )
    return path if path.is_file() else None


def load_lexicon(lang: str, user_files: Sequence[Path] = ()) -> Lexicon:
    """The bundled default for `lang`, then each user file in order, later entries overriding."""
    lang = _base_language(lang)
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


def _base_language(lang: str) -> str:
    return re.split(r"[-_]", lang.strip())[0].lower() or "en"


def _resolve_letters(entry: Entry, lang: str) -> Entry:
    """Spelled acronyms become the phonemes espeak-ng gives their dotted form (F.B.I.), so
    possessives and a following capital ("the W.H.O. Director") cannot split the sentence."""
    if not entry.letters or entry.phonemes is not None:
        return entry
    dotted = ".".join(entry.key.replace(" ", "")) + "."
    phonemes = espeak_dict.phonemize(dotted, lang).rstrip(".,;:!? ")
    return dataclasses.replace(entry, phonemes=phonemes)


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
        case_sensitive=options.get("case_sensitive", _is_acronym(key)),
        whole_word=options.get("whole_word", True),
        source=str(path),
    )


def _is_acronym(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


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


# --- words espeak-ng does not know --------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _words(text: str) -> Iterator[tuple[str, bool]]:
    """Words of one sentence with whether each starts the sentence (or a quotation)."""
    first = True
    for match in _WORD.finditer(text):
        word = match.group()
        if word[-2:-1] in _APOSTROPHES and word[-1:] in "sS":
            word = word[:-2]
        yield word, first
        first = False


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _known(word: str, lang: str, lower_words: set[str], lexicon: Lexicon | None) -> bool:
    lower = word.lower()
    if len(word) < 2 or lower in lower_words:
        return True
    if lexicon is not None and lexicon.get(word) is not None:
        return True
    forms = [lower]
    if lower.endswith("s") and not _is_acronym(word):
        forms.append(lower[:-1])
        if lower.endswith("es"):
            forms.append(lower[:-2])
    return any(espeak_dict.in_dictionary(f, lang) for f in forms)


def unknown_words(script: Script, lexicon: Lexicon | None = None) -> list[tuple[str, int]]:
    """Capitalised words and acronyms of the article that espeak-ng's dictionary for the
    script's language does not list (so it guesses them from their spelling), with how often
    each occurs, most frequent first. Words the lexicon covers are left out when it is given.

    A capital at the start of a sentence or in a title only marks a name when the same word is
    also capitalised mid-sentence, or when a capitalised word follows it (Kajsa Ollongren);
    words that also occur in lower case are ordinary words, and words the normaliser rewrote
    are left out. Common words espeak-ng reads by rule (Tuesday) are listed too: the list is
    what espeak-ng guesses, for a person to check with `narrate lexicon show`.
    """
    lang = _base_language(script.lang)
    sentences: list[tuple[bool, list[tuple[str, bool]]]] = []
    for seg in script.segments:
        if seg.role == "disclaimer":
            continue
        titled = seg.role in ("title", "heading")
        for sentence in seg.sentences:
            # Words the normaliser rewrote (ET → Eastern Time) never reach espeak-ng.
            spoken = {w for w, _ in _words(sentence.spoken)}
            words = [(w, first) for w, first in _words(sentence.text) if w in spoken]
            sentences.append((titled, words))

    lower_words = {w for _, words in sentences for w, _ in words if w[:1].islower()}
    names: set[str] = set()
    for titled, words in sentences:
        for i, (word, first) in enumerate(words):
            if not _is_capitalised(word):
                continue
            before_capital = i + 1 < len(words) and _is_capitalised(words[i + 1][0])
            if _is_acronym(word) or (not titled and (not first or before_capital)):
                names.add(word)

    counts: collections.Counter[str] = collections.Counter()
    for _, words in sentences:
        counts.update(w for w, _ in words if w in names)
    unknown = [(w, n) for w, n in counts.items() if not _known(w, lang, lower_words, lexicon)]
    return sorted(unknown, key=lambda item: (-item[1], item[0]))


def lexicon_show(word: str, lang: str = "en", lexicon: Lexicon | None = None) -> tuple[str, str]:
    """The phonemes Piper gets for `word` after the normaliser, without and with the lexicon
    (default: the bundled one for `lang`)."""
    if lexicon is None:
        lexicon = load_lexicon(lang)
    spoken = to_spoken(word, lang)
    without = espeak_dict.phonemize(spoken, lang)
    return without, espeak_dict.phonemize(lexicon.apply(spoken), lang)
