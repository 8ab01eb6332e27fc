"""File names built from unit names and codes, made safe for every file system the office may use."""

from __future__ import annotations

import os
import re
import unicodedata

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+')
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)
MAX_NAME_BYTES = 180  # well under the 255-byte limit of ext4/NTFS, leaving room for suffixes


def safe_component(text: str, fallback: str = "未命名") -> str:
    """One path component: no separators, no traversal, no control or reserved characters, bounded length."""
    name = unicodedata.normalize("NFC", display_text(text))
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if _RESERVED.match(name):
        name = f"_{name}"
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    return name


def unit_filename(code: str, name: str, suffix: str = ".xlsx") -> str:
    """``{code}_{name}{suffix}``, each part made safe."""
    parts = [p for p in (code.strip(), name.strip()) if p]
    stem = safe_component("_".join(parts) if parts else "")
    return f"{stem}{suffix}"


def display_text(text: str) -> str:
    """A file name or path as people should see it, always encodable as UTF-8.

    A name that is not valid UTF-8 on disk (what ``unzip`` leaves from an archive made on Chinese Windows) comes
    from the OS with its bytes escaped as lone surrogates, which no writer can store. Each such path component is
    decoded from its bytes as GB18030 (a superset of GBK) where that works, else shown with replacement
    characters; the other components (a UTF-8 folder name around it) are kept as they are.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    return "/".join(_component(part) for part in text.split("/"))


def _component(part: str) -> str:
    try:
        part.encode("utf-8")
        return part
    except UnicodeEncodeError:
        raw = part.encode("utf-8", "surrogateescape") if _only_escapes(part) else None
    if raw is not None:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")
    return part.encode("utf-8", "replace").decode("utf-8")


def _only_escapes(text: str) -> bool:
    """Whether every lone surrogate of ``text`` is one that ``surrogateescape`` makes (U+DC80–U+DCFF)."""
    return all(not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" for ch in text)


def display_name(path: str | os.PathLike[str]) -> str:
    """:func:`display_text` of a path's last component."""
    return display_text(os.path.basename(os.fspath(path)))
