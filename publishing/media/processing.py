"""Pure media processing: what a file really is, and network-ready crops of images.

Nothing here touches the database or storage. Files are judged by their *content*: Pillow must
open, verify and fully decode an image; PyAV (FFmpeg in the wheel) must find and decode a video
stream. The name and the browser's content type are never trusted; they only make the error
message clearer ("photo.jpg is not an image: it is a PDF document").

Renditions are cropped around a focal point (fractions of width and height, 0..1) with
``ImageOps.fit(..., centering=...)`` semantics, never upscaled, written as sRGB JPEG.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MB = 1024 * 1024

#: Pillow format name → (MIME type, extension we store it under)
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # phone cameras' multi-picture JPEGs
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "AVIF": ("image/avif", "avif"),  # renditions are JPEG for the networks that do not take AVIF
    "HEIF": ("image/heic", "heic"),  # only when a HEIF plugin (pillow-heif) is installed
}

#: ISO-BMFF brands of still images (HEIC, HEIF, AVIF): FFmpeg would open them as one-frame "videos"
_IMAGE_BRANDS = {
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}

IMAGE_EXTENSIONS = {
    "jpg",
    "jpeg",
    "jpe",
    "png",
    "webp",
    "gif",
    "heic",
    "heif",
    "avif",
    "bmp",
    "tif",
    "tiff",
}
VIDEO_EXTENSIONS = {"mp4", "m4v", "mov", "qt", "webm", "mkv", "avi", "ogv", "3gp"}

RENDITION_QUALITY = 85


@dataclass(frozen=True)
class Preset:
    key: str
    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height


#: keys match publishing.models.MediaRendition.Preset
PRESETS: tuple[Preset, ...] = (
    Preset("feed_4_5", 1080, 1350),
    Preset("square", 1080, 1080),
    Preset("link_1_91", 1200, 628),
    Preset("landscape_16_9", 1920, 1080),
    Preset("story_9_16", 1080, 1920),
)
PRESETS_BY_KEY = {p.key: p for p in PRESETS}


class MediaRejected(Exception):
    """The file is not something we accept; ``message`` names the file and says why.

    ``code`` (an API error code): ``unsupported_media`` (not an image or video we take) or
    ``media_too_large`` (over a size or pixel limit)."""

    def __init__(self, message: str, *, code: str = "unsupported_media"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Probe:
    kind: str  # "image" | "video"
    mime_type: str
    extension: str
    width: int
    height: int
    duration_seconds: float | None = None
    #: container / codec details for videos (e.g. "mp4", "h264"), Pillow's format for images
    container: str = ""
    codec: str = ""
    frames: int | None = None


@dataclass(frozen=True)
class Limits:
    max_image_bytes: int = 20 * MB
    max_video_bytes: int = 512 * MB
    #: beyond this many pixels an image is refused (decompression bombs; renditions need RAM)
    max_image_pixels: int = 60_000_000


# --- What is it really? --------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF", 0, gettext_noop("a PDF document")),
    (b"PK\x03\x04", 0, gettext_noop("a ZIP archive (or an Office document)")),
    (b"\xd0\xcf\x11\xe0", 0, gettext_noop("an old Office document")),
    (b"MZ", 0, gettext_noop("a Windows program")),
    (b"\x7fELF", 0, gettext_noop("a program")),
    (b"\x1f\x8b", 0, gettext_noop("a compressed (gzip) file")),
    (b"Rar!", 0, gettext_noop("a RAR archive")),
    (b"7z\xbc\xaf", 0, gettext_noop("a 7-Zip archive")),
    (b"ID3", 0, gettext_noop("an MP3 audio file")),
    (b"OggS", 0, gettext_noop("an Ogg file")),
    (b"fLaC", 0, gettext_noop("a FLAC audio file")),
    (b"ftypheic", 4, gettext_noop("a HEIC photo (not supported yet: export it as JPEG)")),
    (b"ftypheix", 4, gettext_noop("a HEIC photo (not supported yet: export it as JPEG)")),
    (b"ftypmif1", 4, gettext_noop("a HEIF photo (not supported yet: export it as JPEG)")),
    (b"ftyp", 4, gettext_noop("an MP4 or QuickTime video")),
    (b"\x1a\x45\xdf\xa3", 0, gettext_noop("a Matroska or WebM video")),
    (b"\xff\xd8\xff", 0, gettext_noop("a JPEG image")),
    (b"\x89PNG", 0, gettext_noop("a PNG image")),
    (b"GIF8", 0, gettext_noop("a GIF image")),
    (b"<svg", 0, gettext_noop("an SVG drawing (not accepted: it can carry scripts)")),
)


def describe_content(head: bytes) -> str:
    """A short human description of what the first bytes of a file look like."""
    for signature, offset, label in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return _(label)
    if head[:4] == b"RIFF":
        return _("a WebP image") if head[8:12] == b"WEBP" else _("a RIFF file (WAV or AVI)")
    stripped = head.lstrip()[:100].lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return _("a web page (HTML)")
    if stripped.startswith(b"<?xml") and b"<svg" in head.lower():
        return _("an SVG drawing (not accepted: it can carry scripts)")
    if not head:
        return _("an empty file")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a multibyte character may be cut at the end of the sample
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return _("a file of an unknown kind")
    return _("a text file")


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _size_text(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{max(1, round(n / 1024))} KB"


def inspect_upload(
    fileobj: IO[bytes],
    *,
    name: str,
    size: int,
    limits: Limits | None = None,
    path: str | None = None,
) -> Probe:
    """What ``fileobj`` really is, or :class:`MediaRejected` with a message naming ``name``.

    ``path`` (a local file path, e.g. a temporary upload) lets FFmpeg seek without copying.
    """
    limits = limits or Limits()
    fileobj.seek(0)
    head = fileobj.read(512)
    fileobj.seek(0)
    ext = _extension(name)
    if size == 0:
        raise MediaRejected(_("%(name)s is empty.") % {"name": name})
    if size > max(limits.max_image_bytes, limits.max_video_bytes):
        raise MediaRejected(
            _("%(name)s is %(size)s; files can be at most %(limit)s.")
            % {
                "name": name,
                "size": _size_text(size),
                "limit": _size_text(max(limits.max_image_bytes, limits.max_video_bytes)),
            },
            code="media_too_large",
        )
    image = _probe_image(fileobj, name=name, limits=limits)
    if image is not None:
        if ext in VIDEO_EXTENSIONS:
            raise MediaRejected(
                _("%(name)s is not a video: it is %(what)s.")
                % {"name": name, "what": describe_content(head)}
            )
        if size > limits.max_image_bytes:
            raise MediaRejected(
                _("%(name)s is %(size)s; images can be at most %(limit)s.")
                % {
                    "name": name,
                    "size": _size_text(size),
                    "limit": _size_text(limits.max_image_bytes),
                },
                code="media_too_large",
            )
        return image
    if ext in IMAGE_EXTENSIONS:
        raise MediaRejected(
            _("%(name)s is not an image: it is %(what)s.")
            % {"name": name, "what": describe_content(head)}
        )
    video = _probe_video(fileobj, name=name, path=path)
    if video is None:
        if ext in VIDEO_EXTENSIONS:
            raise MediaRejected(
                _("%(name)s is not a video we can read (it looks like %(what)s).")
                % {"name": name, "what": describe_content(head)}
            )
        raise MediaRejected(
            _("%(name)s is not an image or a video we can read: it is %(what)s.")
            % {"name": name, "what": describe_content(head)}
        )
    if size > limits.max_video_bytes:
        raise MediaRejected(
            _("%(name)s is %(size)s; videos can be at most %(limit)s.")
            % {"name": name, "size": _size_text(size), "limit": _size_text(limits.max_video_bytes)},
            code="media_too_large",
        )
    return video


def _probe_image(fileobj: IO[bytes], *, name: str, limits: Limits) -> Probe | None:
    """A Probe when Pillow can open, verify and decode the file; None when it is no image at all."""
    fileobj.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(fileobj) as im:
                fmt = im.format or ""
                width, height = im.size
                if fmt not in IMAGE_FORMATS:
                    raise MediaRejected(
                        _(
                            "%(name)s is in %(format)s format; we take JPEG, PNG, WebP and GIF images."
                        )
                        % {"name": name, "format": fmt or _("unknown")}
                    )
                if width * height > limits.max_image_pixels:
                    raise MediaRejected(
                        _(
                            "%(name)s is %(w)d × %(h)d pixels; images can have at most %(mp)d "
                            "megapixels."
                        )
                        % {
                            "name": name,
                            "w": width,
                            "h": height,
                            "mp": limits.max_image_pixels // 1_000_000,
                        },
                        code="media_too_large",
                    )
                im.verify()
            fileobj.seek(0)
            with Image.open(fileobj) as im:
                frames = getattr(im, "n_frames", 1)
                im.load()  # decodes every pixel of the first frame: truncated or corrupt data fails here
                upright = ImageOps.exif_transpose(im)
                width, height = upright.size
        except MediaRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise MediaRejected(
                _("%(name)s is far too large in pixels to be a safe image.") % {"name": name},
                code="media_too_large",
            ) from None
        except UnidentifiedImageError:
            return None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise MediaRejected(
                _("%(name)s looks like an image but is damaged or cut short.") % {"name": name}
            ) from None
        finally:
            fileobj.seek(0)
    mime, ext = IMAGE_FORMATS[fmt]
    return Probe(
        kind="image",
        mime_type=mime,
        extension=ext,
        width=width,
        height=height,
        container=fmt,
        frames=frames,
    )


_VIDEO_CONTAINERS = {
    # FFmpeg demuxer → (MIME, extension); QuickTime is told apart by its brand below
    "mov": ("video/mp4", "mp4"),
    "matroska": ("video/webm", "webm"),
    "avi": ("video/x-msvideo", "avi"),
    "ogg": ("video/ogg", "ogv"),
}


_MOV_ATOMS = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def _demuxer_for(head: bytes) -> str | None:
    """The one FFmpeg demuxer allowed to read a file with these first bytes.

    FFmpeg is never left to guess: its auto-detection also knows playlists (HLS, concat) that
    would make it open other files or URLs named inside an upload.
    """
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return None
    if head[4:8] in _MOV_ATOMS:
        return "mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"OggS":
        return "ogg"
    return None


def _probe_video(fileobj: IO[bytes], *, name: str, path: str | None = None) -> Probe | None:
    """A Probe when FFmpeg finds a decodable video stream in a real video container; else None."""
    import av  # PyAV: FFmpeg ships in its wheel

    fileobj.seek(0)
    demuxer = _demuxer_for(fileobj.read(16))
    fileobj.seek(0)
    if demuxer is None:
        return None
    try:
        container = av.open(
            path if path else fileobj,
            mode="r",
            format=demuxer,
            metadata_errors="ignore",
            options={"protocol_whitelist": "file,pipe"},
        )
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        fileobj.seek(0)
        return None
    try:
        fmt = demuxer
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        try:
            frame = next(iter(container.decode(stream)), None)
        except (av.FFmpegError, OSError, ValueError):
            return None
        if frame is None:
            return None
        width, height = frame.width, frame.height
        if abs(int(getattr(frame, "rotation", 0) or 0)) in (90, 270):
            width, height = height, width
        duration = None
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        mime, ext = _VIDEO_CONTAINERS[fmt]
        brand = (container.metadata or {}).get("major_brand", "")
        if fmt.startswith("mov") and brand.strip() == "qt":
            mime, ext = "video/quicktime", "mov"
        codec = stream.codec_context.name or ""
        if fmt == "matroska" and codec not in ("vp8", "vp9", "av1"):
            mime, ext = "video/x-matroska", "mkv"
        return Probe(
            kind="video",
            mime_type=mime,
            extension=ext,
            width=width,
            height=height,
            duration_seconds=round(duration, 3) if duration else None,
            container=fmt,
            codec=codec,
            frames=stream.frames or None,
        )
    finally:
        container.close()
        fileobj.seek(0)


def video_poster(fileobj: IO[bytes], *, box: int = 480) -> bytes | None:
    """A JPEG of a video's first frame, fitted in ``box`` px (for thumbnails); None when undecodable."""
    import av

    fileobj.seek(0)
    demuxer = _demuxer_for(fileobj.read(16))
    fileobj.seek(0)
    if demuxer is None:
        return None
    try:
        with av.open(fileobj, mode="r", format=demuxer, metadata_errors="ignore") as container:
            for frame in container.decode(video=0):
                im = frame.to_image()
                rotation = int(getattr(frame, "rotation", 0) or 0)
                if rotation:
                    im = im.rotate(rotation, expand=True)
                im.thumbnail((box, box))
                out = io.BytesIO()
                im.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None


# --- Renditions ----------------------------------------------------------------------------


@dataclass
class RenderedImage:
    preset: str
    content: bytes
    width: int
    height: int


_SRGB = None


def _to_srgb_rgb(im: Image.Image) -> Image.Image:
    """RGB in sRGB: ICC profiles are converted (not dropped), transparency goes onto white."""
    global _SRGB
    icc = im.info.get("icc_profile")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        background.alpha_composite(im)
        im = background
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            if _SRGB is None:
                _SRGB = ImageCms.createProfile("sRGB")
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(
                im.convert("RGB") if im.mode == "RGBA" else im, source, _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to a plain conversion
    return im.convert("RGB")


def load_upright(fileobj: IO[bytes], *, longest_needed: int = 1920) -> Image.Image:
    """The image's first frame, EXIF orientation applied, in sRGB RGB.

    JPEGs far larger than any preset are decoded at a reduced scale (``draft``), which keeps
    memory and time low without ever going below what the largest preset needs.
    """
    fileobj.seek(0)
    im = Image.open(fileobj)
    if im.format in ("JPEG", "MPO"):
        w, h = im.size
        scale = min(1.0, longest_needed / min(w, h))
        if scale < 0.5:
            im.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
    im.load()
    icc = im.info.get("icc_profile")
    upright = ImageOps.exif_transpose(im)
    if icc and "icc_profile" not in upright.info:
        upright.info["icc_profile"] = icc
    return _to_srgb_rgb(upright)


def crop_box(
    size: tuple[int, int], aspect: float, focal: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The largest box of ``aspect`` inside ``size``, centred on the focal point as far as the edges allow."""
    w, h = size
    fx, fy = (min(1.0, max(0.0, focal[0])), min(1.0, max(0.0, focal[1])))
    if w / h > aspect:  # too wide: keep the full height
        cw, ch = max(1, round(h * aspect)), h
    else:
        cw, ch = w, max(1, round(w / aspect))
    left = min(max(0, round(fx * w - cw / 2)), w - cw)
    top = min(max(0, round(fy * h - ch / 2)), h - ch)
    return left, top, left + cw, top + ch


def render_preset(im: Image.Image, preset: Preset, focal: tuple[float, float]) -> RenderedImage:
    """One preset of an upright sRGB image: cropped around ``focal``, downscaled only."""
    box = crop_box(im.size, preset.aspect, focal)
    crop = im.crop(box)
    if crop.width > preset.width:  # never upscale: a small source keeps its own resolution
        crop = crop.resize(
            (preset.width, preset.height), Image.Resampling.LANCZOS, reducing_gap=3.0
        )
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=RENDITION_QUALITY, optimize=True, progressive=True)
    return RenderedImage(
        preset=preset.key, content=out.getvalue(), width=crop.width, height=crop.height
    )


def render_all(fileobj: IO[bytes], focal: tuple[float, float]) -> list[RenderedImage]:
    im = load_upright(fileobj)
    try:
        return [render_preset(im, preset, focal) for preset in PRESETS]
    finally:
        im.close()


def thumbnail_jpeg(fileobj: IO[bytes], *, box: int = 480) -> bytes:
    """A small JPEG for the library grid (from a rendition or the original)."""
    fileobj.seek(0)
    with Image.open(fileobj) as im:
        im.draft("RGB", (box, box))
        im = ImageOps.exif_transpose(im)
        im = _to_srgb_rgb(im)
        im.thumbnail((box, box))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=80)
        return out.getvalue()
