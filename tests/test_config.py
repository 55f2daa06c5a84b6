"""Settings: defaults ← TOML file ← NARRATE_* ← flags, each bad value one line naming its source."""

from __future__ import annotations

import json
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest

from narrate import config, pipeline
from narrate.audio import encode
from narrate.config import DISCLAIMER, MP3_BITRATES, ExtractLimits, FetchLimits, SettingsError
from narrate.models import Timeline
from tests.cli_run import SHORT, narrate

# key, TOML value, NARRATE_* text, flag value, and what each of the three layers gives
LAYERS = [
    ("timeout", "10", "20", 30, (10.0, 20.0, 30.0)),
    ("max_page_mb", "1", "2.5", 3, (1.0, 2.5, 3.0)),
    ("max_feed_mb", "4", "5", 6, (4.0, 5.0, 6.0)),
    ("extract_timeout", "7", "8", 9, (7.0, 8.0, 9.0)),
    ("extract_memory_mb", "100", "0", 300, (100, 0, 300)),
    ("allow_private", "true", "no", True, (True, False, True)),
    (
        "cluster",
        '"local"',
        "tcp://10.0.0.5:8786",
        "tls://h:1",
        ("local", "tcp://10.0.0.5:8786", "tls://h:1"),
    ),
]


def test_every_environment_variable_has_a_layer_case() -> None:
    assert {key for key, *_ in LAYERS} == {k for k, spec in config.SCHEMA.items() if spec.env}


@pytest.mark.parametrize(("key", "toml", "env", "flag", "expected"), LAYERS)
def test_file_then_environment_then_flags(
    tmp_path: Path, key: str, toml: str, env: str, flag: object, expected: tuple[object, ...]
) -> None:
    path = tmp_path / "narrate.toml"
    path.write_text(f"{key} = {toml}\n")
    variable = {config.SCHEMA[key].env: env}
    assert getattr(config.load(None, env={}), key) == getattr(config.Settings(), key)
    assert getattr(config.load(path, env={}), key) == expected[0]
    assert getattr(config.load(path, env=variable), key) == expected[1]
    assert getattr(config.load(path, env=variable, flags={key: flag}), key) == expected[2]
    assert getattr(config.load(path, env=variable, flags={key: None}), key) == expected[1]


def test_defaults_are_the_records_defaults() -> None:
    settings = config.load(None, env={})
    assert (settings.fetch, settings.extract) == (FetchLimits(), ExtractLimits())
    assert settings.disclaimer == DISCLAIMER and settings.bitrate == "64k"
    assert config.load(None, env={"NARRATE_MAX_PAGE_MB": "1.5"}).fetch.max_page_bytes == 1572864


def test_records_do_not_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRATE_TIMEOUT", "7")
    monkeypatch.setenv("NARRATE_EXTRACT_TIMEOUT", "8")
    opts = pipeline.Options()
    assert (opts.limits.timeout_s, opts.extract.timeout_s) == (30.0, 60.0)
    assert config.load(None).timeout == 7.0  # the environment is read here, once


def test_paths_in_the_file_are_relative_to_it(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "narrate.toml"
    path.parent.mkdir()
    path.write_text(
        'feeds = ["a.xml", "https://x.example/feed", "/abs/b.xml"]\nout = "pod"\n'
        'lexicon = "words.toml"\nvoice = "me.toml"\nintro = "sting.ogg"\noutro = "/abs/end.wav"\n'
    )
    settings = config.load(path, env={}, flags={"lexicon": (Path("cli.toml"),)})
    here = path.parent
    assert settings.feeds == (str(here / "a.xml"), "https://x.example/feed", "/abs/b.xml")
    assert (settings.out, settings.voice) == (here / "pod", str(here / "me.toml"))
    assert settings.lexicon == (Path("cli.toml"),)  # a flag's path is the user's, as typed
    assert (settings.intro, settings.outro) == (here / "sting.ogg", Path("/abs/end.wav"))
    flagged = config.load(path, env={}, flags={"intro": Path("mine.wav")})
    assert (flagged.intro, flagged.outro) == (Path("mine.wav"), Path("/abs/end.wav"))


@pytest.mark.parametrize("rate", [16000, 22050])
def test_the_bitrate_rule_is_what_the_encoder_writes(tmp_path: Path, rate: int) -> None:
    t = np.arange(rate, dtype=np.float32) / rate
    timeline = Timeline(0.3 * np.sin(2 * np.pi * 440 * t).astype(np.float32), rate, (), ())
    written = {}
    for kbps in (MP3_BITRATES[0], MP3_BITRATES[-1], 192):
        out = tmp_path / f"{kbps}.mp3"
        encode.encode(timeline, out, bitrate=f"{kbps}k")
        written[kbps] = round(mutagen.mp3.MP3(out).info.bitrate / 1000)
    assert written == {8: 8, 160: 160, 192: 160}  # above the table the encoder quietly rounds
    for bad in ("7k", "192k", "320k", "64", "64kb"):
        with pytest.raises(SettingsError, match=f"--bitrate must be an MP3 bitrate.*not '{bad}'"):
            config.load(None, env={}, flags={"bitrate": bad})


BIG = b"<html><body><article>" + b"<p>Filler text for a page that is too big.</p>" * 7000


# what the file says, the environment, the flags, the page, and what the script run shows
CLI_CASES = {
    "the file's disclaimer": (
        'allow_private = true\ndisclaimer = "A file reads."',
        {},
        [],
        "/ok",
        "A file reads.",
    ),
    "a flag over the file": (
        'allow_private = true\ndisclaimer = "A file reads."',
        {},
        ["--disclaimer", "A flag reads."],
        "/ok",
        "A flag reads.",
    ),
    "--no-disclaimer over the file": (
        'allow_private = true\ndisclaimer = "A file reads."',
        {},
        ["--no-disclaimer"],
        "/ok",
        "title",
    ),
    "the file allows loopback": ("allow_private = true", {}, [], "/ok", DISCLAIMER),
    "the environment over the file": (
        "allow_private = true",
        {"NARRATE_ALLOW_PRIVATE": "0"},
        [],
        "/ok",
        "Error: refusing to fetch from 127.0.0.1",
    ),
    "a flag over the environment": (
        "",
        {"NARRATE_ALLOW_PRIVATE": "0"},
        ["--allow-private"],
        "/ok",
        DISCLAIMER,
    ),
    "the file's page cap": (
        "allow_private = true\nmax_page_mb = 0.2",
        {},
        [],
        "/big",
        "larger than 209715 bytes",
    ),
    "the environment's page cap": (
        "allow_private = true\nmax_page_mb = 0.2",
        {"NARRATE_MAX_PAGE_MB": "0.1"},
        [],
        "/big",
        "larger than 104857 bytes",
    ),
    "the environment's timeout": (
        "allow_private = true\ntimeout = 30",
        {"NARRATE_TIMEOUT": "0.5"},
        [],
        "/slow",
        "Error: timed out",
    ),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
@pytest.mark.parametrize("where", ["before", "after"])
def test_the_command_line_layers_settings(
    case: str, where: str, tmp_path: Path, http_server
) -> None:
    toml, env, flags, route, shown = CLI_CASES[case]
    http_server.page("/ok", SHORT.read_bytes())
    http_server.page("/big", BIG)
    http_server.drip("/slow", 2, 1000, delay_s=2.0)
    path = tmp_path / "narrate.toml"
    path.write_text(toml)
    command = ["script", http_server.url(route), "--format", "json", *flags]
    given = ["--config", str(path)]
    args = [*given, *command] if where == "before" else [*command, *given]
    run = narrate(*args, env={"NARRATE_ALLOW_PRIVATE": "", **env})
    if shown.startswith("Error: ") or "bytes" in shown:
        assert run.returncode != 0 and shown in run.stderr.decode(), run.stderr
        return
    assert run.returncode == 0, run.stderr
    first = json.loads(run.stdout)["chapters"][0]["segments"][0]
    assert shown in (first["text"], first["role"])


RATES = "8k, 16k, 24k, 32k, 40k, 48k, 56k, 64k, 80k, 96k, 112k, 128k, 144k or 160k"

# environment, TOML, command line, and the one line it must print
BAD_VALUES = [
    (
        {"NARRATE_TIMEOUT": "abc"},
        None,
        [],
        "NARRATE_TIMEOUT must be a number of seconds, not 'abc'",
    ),
    ({"NARRATE_TIMEOUT": "0"}, None, [], "NARRATE_TIMEOUT must be more than 0, not '0'"),
    (
        {"NARRATE_TIMEOUT": "nan"},
        None,
        [],
        "NARRATE_TIMEOUT must be a number of seconds, not 'nan'",
    ),
    (
        {"NARRATE_MAX_PAGE_MB": "lots"},
        None,
        [],
        "NARRATE_MAX_PAGE_MB must be a number of MB, not 'lots'",
    ),
    ({"NARRATE_MAX_FEED_MB": "-1"}, None, [], "NARRATE_MAX_FEED_MB must be more than 0, not '-1'"),
    (
        {"NARRATE_EXTRACT_TIMEOUT": "1m"},
        None,
        [],
        "NARRATE_EXTRACT_TIMEOUT must be a number of seconds, not '1m'",
    ),
    (
        {"NARRATE_EXTRACT_MEMORY_MB": "1.5"},
        None,
        [],
        "NARRATE_EXTRACT_MEMORY_MB must be a whole number of MB, not '1.5'",
    ),
    (
        {"NARRATE_ALLOW_PRIVATE": "maybe"},
        None,
        [],
        "NARRATE_ALLOW_PRIVATE must be true or false (1 or 0), not 'maybe'",
    ),
    ({}, 'timeout = "abc"', [], "{path}: timeout must be a number of seconds, not 'abc'"),
    ({}, "workers = 0", [], "{path}: workers must be at least 1, not 0"),
    ({}, "voice = 3", [], "{path}: voice must be a text, not 3"),
    ({}, "lexicon = 3", [], "{path}: lexicon must be a list of paths or URLs, not 3"),
    ({}, 'bitrate = "320k"', [], "{path}: bitrate must be an MP3 bitrate: {rates}, not '320k'"),
    ({}, "max_live = 0", [], "{path}: max_live must be at least 1, not 0"),
    (
        {},
        'allow_host = ["example.com:8080"]',
        [],
        "{path}: allow_host must be host names, such as example.com (no scheme, port or path), "
        "not ['example.com:8080']",
    ),
    ({}, "colour = 1", [], "{path}: unknown setting(s) colour"),
    ({}, "intro = 3", [], "{path}: intro must be a path, not 3"),
    ({}, "bumper_fade_out_ms = -1", [], "{path}: bumper_fade_out_ms must be at least 0, not -1"),
    (
        {},
        'bumper_fade_in_ms = "soft"',
        [],
        "{path}: bumper_fade_in_ms must be a whole number of ms, not 'soft'",
    ),
    ({}, None, ["--bitrate", "7k"], "--bitrate must be an MP3 bitrate: {rates}, not '7k'"),
    ({}, None, ["--workers", "0"], "--workers must be at least 1, not 0"),
    ({}, None, ["--workers", "65"], "--workers must be at most 64, not 65"),
]


@pytest.mark.parametrize(("env", "toml", "flags", "message"), BAD_VALUES)
def test_a_bad_value_is_one_line_naming_its_source(
    tmp_path: Path, env: dict[str, str], toml: str | None, flags: list[str], message: str
) -> None:
    path = tmp_path / "narrate.toml"
    args = ["article", str(SHORT), "-o", str(tmp_path / "x.mp3"), *flags]
    if toml is not None:
        path.write_text(toml)
        args = ["--config", str(path), *args]
    run = narrate(*args, env=env)
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode() == f"Error: {message.format(path=path, rates=RATES)}\n"
    assert not list(tmp_path.glob("x.*"))


def test_feed_flags_go_through_the_same_checks(tmp_path: Path) -> None:
    run = narrate("feed", "f.xml", "-o", str(tmp_path / "pod"), "--limit", "0")
    assert run.returncode == 2 and run.stderr == b"Error: --limit must be at least 1, not 0\n"
    assert not (tmp_path / "pod").exists()


def test_allowed_hosts_are_names_as_urls_give_them(tmp_path: Path) -> None:
    path = tmp_path / "narrate.toml"
    path.write_text('allow_host = ["News.Example.COM.", "2001:db8::1"]\nmax_live = 3\n')
    settings = config.load(path, env={})
    assert settings.allow_host == ("news.example.com", "2001:db8::1")
    assert settings.max_live == 3
    assert config.load(None, env={}, flags={"allow_host": ("a.example",)}).allow_host == (
        "a.example",
    )
