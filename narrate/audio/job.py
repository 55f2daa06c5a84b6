"""One sentence to render, as the synthesis engine receives it: no Piper or ONNX imports here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from narrate.audio.cache import clip_key
from narrate.audio.voices import BUNDLED, VoiceModel, resolve_model
from narrate.errors import VoiceError
from narrate.models import Delivery


@dataclass(frozen=True)
class Job:
    """One sentence to render: everything a worker needs, picklable."""

    model: VoiceModel
    onnx: str
    """The file to load: the model, or its copy patched to give alignments."""
    aligned: bool
    delivery: Delivery
    text: str
    parts: tuple[tuple[Delivery, str], ...] = ()
    """For a sentence with an inline quotation: each role's delivery and words; text joins them."""

    @property
    def key(self) -> str:
        """Its clip's key in the clip cache."""
        fingerprint = f"{self.model.fingerprint}:{int(self.aligned)}"
        return clip_key(fingerprint, self.delivery, self.text, self.parts)


def model_for(delivery: Delivery) -> VoiceModel:
    """The model a delivery names, refused when its speaker id does not exist."""
    model = resolve_model(delivery.model)
    sid = delivery.speaker_id
    if sid is not None and not 0 <= sid < max(model.num_speakers, 1):
        raise VoiceError(
            f"speaker_id {sid} is out of range for {model.name} ({model.num_speakers} speaker(s))"
        )
    return model


def localised(job: Job, models: Path) -> Job:
    """The job with this machine's files of its model: a worker elsewhere gets the coordinator's."""
    model, onnx = local_voice(job.model, job.onnx, job.aligned, models)
    return job if (model, onnx) == (job.model, job.onnx) else replace(job, model=model, onnx=onnx)


def local_voice(
    model: VoiceModel, onnx: str, aligned: bool, models: Path
) -> tuple[VoiceModel, str]:
    """(model, file to load) on this machine for a model and file named on another one.

    The model is found by content (`same_model`); its word-timing copy is made in `models`,
    where this machine keeps its own.
    """
    here = same_model(model)
    if here == model and Path(onnx).is_file():
        return model, onnx
    from narrate.audio.align import aligned_model  # numpy: a replayed episode never loads it

    path, ok = aligned_model(here, models) if aligned else (str(here.onnx), False)
    if ok != aligned:
        raise VoiceError(f"cannot make the word-timing copy of {here.name} in {models}")
    return here, path


def same_model(model: VoiceModel) -> VoiceModel:
    """This machine's copy of a model: at the same path, else by name, else the bundled voice."""
    for ref in (str(model.onnx), model.name, BUNDLED):
        try:
            found = resolve_model(ref)
        except VoiceError:
            continue
        if found.fingerprint == model.fingerprint:
            return found
    raise VoiceError(
        f"no copy of voice model {model.name} (fingerprint {model.fingerprint}) here: "
        f"put {model.name}.onnx and {model.name}.onnx.json in NARRATE_VOICES_DIR on every worker"
    )
