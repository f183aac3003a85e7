"""What an uploaded evidence file is, read from its bytes: the client's Content-Type is a claim.

Binary formats are recognised by their magic numbers with `filetype` (pure Python, no libmagic,
about eighty formats: PDF, PNG, JPEG, GIF, WebP, TIFF, executables...), so a campaign that
accepts more than the defaults still gets a real answer. A zip is looked into instead: an Office
Open XML document says what it is in `[Content_Types].xml` (the main part's content type), which
is exact where magic-number guesses on the first entries are not. Text has no magic number: a
file of text characters only is text, and is stored as text/plain, or text/csv when the client
said CSV; it is never stored as HTML or SVG, whatever it contains.
"""

from __future__ import annotations

import io
import zipfile

import defusedxml.ElementTree
import filetype

OCTET_STREAM = "application/octet-stream"
TEXT_TYPES = ("text/plain", "text/csv")
ZIP = "application/zip"

# The main part of an Office Open XML package names the document's type.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
_CONTENT_TYPES_LIMIT = 1024 * 1024  # a real [Content_Types].xml is a few kilobytes
_HEAD = 8192  # filetype reads no further than this
# Bytes that occur in text: printable ASCII and above, and the usual whitespace (no NUL, no DEL).
_TEXT_BYTES = bytes({7, 8, 9, 10, 12, 13, 27} | set(range(0x20, 0x100)) - {0x7F})


def _office_type(data: bytes) -> str:
    """The type an Office Open XML (or OpenDocument) package declares; application/zip otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared.startswith("application/vnd.oasis.opendocument.") else ZIP
            if "[Content_Types].xml" not in names:
                return ZIP
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return ZIP
            root = defusedxml.ElementTree.fromstring(archive.read(info))
    # Damaged or encrypted, broken XML (ParseError is a SyntaxError), or XML that defusedxml
    # refuses (a ValueError); RuntimeError covers encrypted members: not a document we can name.
    except (zipfile.BadZipFile, OSError, ValueError, SyntaxError, KeyError, RuntimeError):
        return ZIP
    for element in root:
        if element.tag.rpartition("}")[2] == "Override":
            found = _OOXML_MAIN.get((element.get("ContentType") or "").strip())
            if found and (element.get("PartName") or "").count("/") >= 2:
                return found
    return ZIP


def is_text(data: bytes) -> bool:
    """True when every byte is one that text uses (UTF-8 and the Latin code pages alike)."""
    return not data.translate(None, _TEXT_BYTES)


def sniff(data: bytes, *, declared: str = "") -> str:
    """The media type the content shows; application/octet-stream when it shows none.

    `declared` (the client's type) only chooses between text/plain and text/csv, two names for
    the same bytes; it never makes a file anything else.
    """
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    kind = filetype.guess(data[:_HEAD])
    if kind is not None:
        return str(kind.mime)
    if data and is_text(data):
        return declared if declared in TEXT_TYPES else "text/plain"
    return OCTET_STREAM
