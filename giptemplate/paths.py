"""File names built from unit names and codes, made safe for every file system the office may use."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u2028\u2029\ufeff]+')
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)
MAX_NAME_BYTES = 180  # well under the 255-byte limit of ext4/NTFS, leaving room for suffixes


def safe_component(text: str, fallback: str = "未命名") -> str:
    """One path component: no separators, no traversal, no control or reserved characters, bounded length."""
    name = unicodedata.normalize("NFC", text)
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
