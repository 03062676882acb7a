"""What a call or visit recording may be: an audio file of a known kind, under the size cap.

The browser's content type, the file name's extension and the file's first bytes must all say
the same kind of audio; anything else (an HTML page named call.mp3, a script sent as audio/mpeg)
is refused before it is stored. The cap is ``settings.RECORDING_MAX_BYTES``.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def _mp3(head: bytes) -> bool:
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _wav(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def _mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _adts(head: bytes) -> bool:
    return len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def _ogg(head: bytes) -> bool:
    return head[:4] == b"OggS"


def _amr(head: bytes) -> bool:
    return head.startswith(b"#!AMR")


def _flac(head: bytes) -> bool:
    return head[:4] == b"fLaC"


# extension -> (content types a browser may send for it, the check of its first bytes)
AUDIO_KINDS = {
    ".mp3": ({"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"}, _mp3),
    ".wav": ({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}, _wav),
    ".m4a": ({"audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac"}, _mp4),
    ".aac": ({"audio/aac", "audio/x-aac", "audio/aacp"}, lambda h: _adts(h) or _mp4(h)),
    ".ogg": ({"audio/ogg", "audio/opus", "audio/vorbis"}, _ogg),
    ".oga": ({"audio/ogg"}, _ogg),
    ".opus": ({"audio/ogg", "audio/opus"}, _ogg),
    ".amr": ({"audio/amr", "audio/x-amr", "audio/3gpp"}, _amr),
    ".flac": ({"audio/flac", "audio/x-flac"}, _flac),
}


def recording_errors(*, upload) -> list[str]:
    """The reasons ``upload`` cannot be stored as a recording (empty when it can)."""
    cap = settings.RECORDING_MAX_BYTES
    size = getattr(upload, "size", None) or 0
    if size > cap:
        return [_("The recording is too large (%(size)s; at most %(cap)s).")
                % {"size": filesizeformat(size), "cap": filesizeformat(cap)}]
    if size == 0:
        return [_("The recording is empty.")]
    ext = os.path.splitext(getattr(upload, "name", "") or "")[1].lower()
    kind = AUDIO_KINDS.get(ext)
    allowed = ", ".join(sorted(AUDIO_KINDS))
    if kind is None:
        return [_("A recording must be an audio file (%(allowed)s).") % {"allowed": allowed}]
    content_types, looks_right = kind
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if content_type not in content_types:
        return [_("A recording must be an audio file (%(allowed)s).") % {"allowed": allowed}]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not looks_right(head):
        return [_("The file's content is not %(kind)s audio.") % {"kind": ext.lstrip(".").upper()}]
    return []


def validate_recording(*, upload) -> None:
    errors = recording_errors(upload=upload)
    if errors:
        raise ValidationError({"recording": errors})
