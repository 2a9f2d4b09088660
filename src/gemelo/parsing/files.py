"""Reading exports: a .txt, the .zip of the share sheet, or a folder of them; any encoding WhatsApp writes.

Each file's text goes to `text.parse_text`, named by the file (its `chat`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemelo import UserError
from gemelo.parsing.headers import PATTERN
from gemelo.parsing.messages import Parsed
from gemelo.parsing.text import parse_utf8

if TYPE_CHECKING:  # (pathlib costs import time; parse_path imports it itself)
    from pathlib import Path

_WHAT_TO_PASS = "pass the .txt or .zip that WhatsApp's 'Export chat' gives (or a folder of them)"
_CHAT_NAMES = ("whatsapp chat with ", "chat de whatsapp con ", "whatsapp chat - ", "chat de whatsapp - ")
# A zip member is refused before it is read when it would unpack to more than this, or to more than this many
# times its packed size: generous for real exports (years of chat are tens of MB; text packs 3-10 times),
# fatal to a zip bomb, which would otherwise fill the memory.
ZIP_MAX_BYTES = 512 << 20
ZIP_MAX_RATIO = 100


def _one_line(s: object) -> str:
    return " ".join(str(s).split())


def _decode(data: bytes, where: str) -> tuple[bytes, int]:
    """An export's text in UTF-8, and how many bad bytes were replaced: UTF-8 with or without BOM,
    UTF-16 with or without BOM, else cp1252 or latin-1 where that yields message lines. A file that is
    UTF-8 but for a few bad bytes (most of its non-ASCII bytes are good UTF-8) stays UTF-8, each bad
    sequence read as U+FFFD, so every other line is exact. Raises UserError for empty, binary or
    undecodable input."""
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 2 if data.startswith((b"\xff\xfe", b"\xfe\xff")) else 0
    if not (data[skip : skip + 4096].strip(b" \t\r\n\x00") or data[skip:].strip(b" \t\r\n\x00")):
        raise UserError(f"{where}: the file is empty; export the chat again from WhatsApp and {_WHAT_TO_PASS}")
    binary = UserError(f"{where}: this is a binary file, not a WhatsApp chat export; {_WHAT_TO_PASS}")
    enc = _utf16(data)
    if enc == "binary":
        raise binary
    if enc is not None:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            raise UserError(
                f"{where}: cannot decode this file as {enc.upper()}; it may be damaged: export the chat again"
            ) from None
        if "\x00" in text:
            raise binary
        return text.encode("utf-8", "surrogatepass"), 0
    if is_utf8(data):
        if data.count(b"\x00") > len(data) // 100:  # a stray NUL is damage; many, a binary file
            raise binary
        return data, 0
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(data.translate(None, bytes(range(128))))  # the bytes left once ASCII is deleted
    if non_ascii - bad > bad and b"\x00" not in data:
        return text.encode(), bad
    for enc in ("cp1252", "latin-1"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if PATTERN.search(text[:200000]):
            return text.encode(), 0
    raise UserError(
        f"{where}: not a readable WhatsApp chat export (not UTF-8/UTF-16 text, no message lines found); "
        f"{_WHAT_TO_PASS}"
    )


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec the data is in, by its BOM or by where its NULs fall; "binary" for NULs anywhere else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:8192]
    nuls = sample.count(b"\x00")
    if not nuls or data.startswith(b"\xef\xbb\xbf"):
        return None
    even = sample[0::2].count(b"\x00")
    odd, half = nuls - even, len(sample) // 2
    if odd >= 0.9 * nuls and odd >= 0.3 * half:
        return "utf-16-le"
    if even >= 0.9 * nuls and even >= 0.3 * half:
        return "utf-16-be"
    return "binary"


def is_utf8(data: bytes) -> bool:
    """Whether data is valid UTF-8, checked in pieces (twice as fast as decoding it whole)."""
    import codecs

    check = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), 65536):
            check.decode(view[i : i + 65536])
        check.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _no_headers(where: str) -> UserError:
    return UserError(f"{where}: no WhatsApp message lines found (like '21/08/22, 19:40 - Flor: hola'); {_WHAT_TO_PASS}")


def _parse_bytes(data: bytes, where: str, chat: str) -> Parsed:
    text, replaced = _decode(data, where)
    parsed = parse_utf8(text, chat)
    if not len(parsed):
        raise _no_headers(where)
    parsed.replaced = replaced
    return parsed


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({_one_line(e.strerror or e)}); check its permissions") from None


def _parse_zip(path: Path, data: bytes, chat: str) -> Parsed:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [
                n
                for n in zf.namelist()
                if n.lower().endswith(".txt")
                and "__MACOSX/" not in n
                and not n.rsplit("/", 1)[-1].startswith("._")
            ]
            known = [
                n
                for n in names
                if n.rsplit("/", 1)[-1].lower() == "_chat.txt" or n.rsplit("/", 1)[-1].lower().startswith(_CHAT_NAMES)
            ]
            members = sorted(known or names)
            if not members:
                raise UserError(
                    f"{path}: the zip holds no chat text file (_chat.txt or 'WhatsApp Chat with ….txt'); "
                    f"export the chat again from WhatsApp and pass that zip"
                )
            blobs = [(n, _read_member(zf, zf.getinfo(n), path)) for n in members]
    except UserError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError, NotImplementedError) as e:
        raise UserError(
            f"{path}: cannot read this zip ({_one_line(e)}); export or download it again, or unzip it and pass the .txt"
        ) from None
    out = Parsed([], 0)
    for name, blob in blobs:
        sub = chat if len(blobs) == 1 else f"{chat}/{name}"
        out.add(_parse_bytes(blob, f"{path}:{name}", sub))
    return out


def _read_member(zf, info, path: Path) -> bytes:
    """A zip member's bytes, refused in one line (before or, if its header lies, while reading) when too big."""
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > ZIP_MAX_BYTES or (info.file_size > 1 << 20 and ratio > ZIP_MAX_RATIO):
        raise UserError(f"{path}: {info.filename} would unpack to {info.file_size:,} bytes ({ratio:.0f} times its "
                        f"packed size): not a WhatsApp export; unzip it yourself if you trust it")
    with zf.open(info) as f:
        data = f.read(ZIP_MAX_BYTES + 1)
    if len(data) > ZIP_MAX_BYTES:
        raise UserError(f"{path}: {info.filename} unpacks to more than {ZIP_MAX_BYTES:,} bytes: not a WhatsApp export")
    return data


def _parse_file(path: Path, chat: str) -> Parsed:
    data = _read(path)
    if path.suffix.lower() == ".zip" or data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _parse_zip(path, data, chat)
    return _parse_bytes(data, str(path), chat)


def parse_path(path: str | Path) -> Parsed:
    """Parse a .txt export, a .zip from the share sheet, or a folder of those (sorted, recursive).

    Raises UserError (one line, saying what to do) on missing, empty, binary or non-WhatsApp input.
    Nothing is returned unless every file parsed.
    """
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file or folder; check the path")
    if p.is_dir():
        files = sorted(
            (f for f in p.rglob("*") if f.suffix.lower() in (".txt", ".zip") and f.is_file()
             and not any(part.startswith(".") or part == "__MACOSX" for part in f.relative_to(p).parts)),
            key=lambda f: f.relative_to(p).as_posix(),
        )
        if not files:
            raise UserError(f"{p}: the folder holds no .txt or .zip chat exports; {_WHAT_TO_PASS}")
        out = Parsed([], 0)
        for f in files:
            try:
                out.add(_parse_file(f, f.relative_to(p).as_posix()))
            except UserError as e:
                raise UserError(f"{e}; or move it out of the folder {p}") from None
        return out
    if not p.is_file():
        raise UserError(f"{p}: not a regular file; {_WHAT_TO_PASS}")
    return _parse_file(p, p.name)
