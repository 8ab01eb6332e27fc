"""N605: narrative parts copied from another unit of the same batch, found in near-linear time.

Workers fingerprint each free narrative part once (:func:`fingerprint`): the digest of its letters-only text
(whitespace, punctuation, symbols and digits dropped: years and counts change in a copy), the digests of its
sentences, and a MinHash signature of its character 5-gram shingles, the shingles the checks' similarity measure
uses against last year (N604). The signature is datasketch's ``MinHash(num_perm=64, seed=1, hashfunc=zlib.crc32,
scheme="affine32")``, computed here with numpy alone (the same values, tested against datasketch): importing
datasketch imports scipy, which every worker and the merge paid at start-up. The merge never compares texts pair
by pair:

- identical texts are grouped by digest;
- distinct texts become candidates by locality-sensitive hashing of their signatures (:data:`BANDS` bands): within
  each bucket a text is paired with the bucket's first text and with the one before it, so a cluster of k copies
  gives O(k) pairs, not k²;
- a candidate pair is a copy when the larger of its estimated shingle Jaccard index and its exact sentence Jaccard
  index reaches the checks' COPY_THRESHOLD; copies are joined into groups (connected components, by hooking and
  pointer jumping in numpy), and each unit is told how many units share its group.

Every step is vectorised over all the texts of a part (numpy) or linear in the pairs, whatever the texts. The shingle
similarity is an estimate (standard error about 0.04 near the threshold with 64 permutations); a pair whose letters
differ is never reported as 100% alike.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from giptemplate.checks.checker import COPY_THRESHOLD, SHINGLE_SIZE
from giptemplate.findings import CODES, Finding, TemplateFieldsError
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec

if TYPE_CHECKING:
    import numpy as np

COPY_MIN_CHARS = 50  # texts shorter than this (letters only) are too short to call a copy
NUM_PERM = 64
BANDS = 16  # 4 rows a band: texts 80% alike share a bucket with probability 0.9998, 50% alike 0.64, 20% alike 0.025
SENTENCE_DIGEST = 8
NEAR_MAX = 0.99  # shown for texts whose letters differ, however close the estimate is
SENTENCE_FLOOR = 0.6  # below this shingle estimate, texts cannot share 80% of their sentences: not worth a look
PAIR_CHUNK = 8192  # candidate pairs compared at once: their temporary arrays (4 MiB) stay in the cache
LISTED = 10

_SENTENCE_END = re.compile(r"[。；！？;!?\n]+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


class TextPrint(NamedTuple):
    part: str
    digest: bytes  # of the letters-only text
    sentences: bytes  # SENTENCE_DIGEST-byte digests of its distinct letters-only sentences, concatenated
    signature: bytes  # MinHash of its shingles: NUM_PERM little-endian uint32


def _digest(text: str, size: int = 12) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()


@functools.cache
def _permutations() -> tuple[np.ndarray[Any, np.dtype[np.uint32]], np.ndarray[Any, np.dtype[np.uint32]]]:
    """The affine permutations h -> a*h + b (mod 2**32, a odd) of datasketch's "affine32" scheme with seed 1:
    every worker process computes the same signature for a text."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def minhash(shingles: list[str]) -> bytes:
    """The MinHash signature of a non-empty list of shingles: NUM_PERM little-endian uint32, the minimum over the
    shingles of each permutation of their crc32 (UTF-8) pre-mixed by the MurmurHash3 finalizer, as datasketch's
    ``update_batch`` computes it."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    a, b = _permutations()
    hv = np.fromiter(map(zlib.crc32, map(str.encode, shingles)), dtype=np.uint32, count=len(shingles))
    hv ^= hv >> np.uint32(16)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    signature: np.ndarray[Any, np.dtype[np.uint32]] = (hv[:, None] * a + b).min(axis=0)
    return signature.astype("<u4").tobytes()


class Printed(Protocol):
    """What the copy check needs of one read file (merge's FileResult): who it is and its text fingerprints."""

    @property
    def name(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def unit_code(self) -> str: ...
    @property
    def texts(self) -> tuple[TextPrint, ...]: ...


def copy_checked_parts(spec: Spec) -> tuple[str, ...]:
    """The narrative parts compared between units: the free texts, not the required statements (六)."""
    return tuple(p.key for s in spec.sections if s.parts and not any(q.require_any for q in s.parts) for p in s.parts)


def fingerprint(part: str, text: str) -> TextPrint | None:
    """The fingerprint of one part's text, or None when it is too short to compare."""
    normal = unicodedata.normalize("NFKC", text)
    letters = _NOT_LETTERS.sub("", normal)
    if len(letters) < COPY_MIN_CHARS:
        return None
    cleaned = {_NOT_LETTERS.sub("", s) for s in _SENTENCE_END.split(normal)}
    sentences = sorted(_digest(s, SENTENCE_DIGEST) for s in cleaned if s)
    count = len(letters) - SHINGLE_SIZE + 1
    shingles = list(map(letters.__getitem__, map(slice, range(count), range(SHINGLE_SIZE, count + SHINGLE_SIZE))))
    return TextPrint(part, _digest(letters), b"".join(sentences), minhash(shingles))


def _sentence_jaccard(a: bytes, b: bytes) -> float:
    sa = {a[i : i + SENTENCE_DIGEST] for i in range(0, len(a), SENTENCE_DIGEST)}
    sb = {b[i : i + SENTENCE_DIGEST] for i in range(0, len(b), SENTENCE_DIGEST)}
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


def _candidate_pairs(signatures: np.ndarray[Any, np.dtype[np.uint32]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Pairs (i < j, unique) of texts that share a bucket in at least one band: each text with its bucket's first
    text and with the text before it, so a bucket of k texts gives at most 2k pairs."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    n = len(signatures)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    rows = NUM_PERM // BANDS
    # Every band's bucket key at once (texts x bands).
    block = signatures.reshape(n, BANDS, rows).astype(np.uint64)
    key = block[:, :, 0]
    for r in range(1, rows):
        key = key * np.uint64(0x100000001B3) ^ block[:, :, r]
    # Mixed (a bijection) so that the top bits kept below depend on every row of the band.
    key ^= key >> np.uint64(32)
    key *= np.uint64(0xD6E8FEB86659FD93)
    key ^= key >> np.uint64(32)
    # One number per text and band, sorted as plain integers (far cheaper than an argsort): the band in the top
    # bits, then as many bits of the key as fit, then the text. Equal keys of a band are then runs, their texts in
    # increasing order. A collision of the truncated keys only adds a pair that is then compared.
    text_bits = max(1, (n - 1).bit_length())
    band_bits = max(1, (BANDS - 1).bit_length())
    key_bits = 64 - band_bits - text_bits
    bands = np.arange(BANDS, dtype=np.uint64) << np.uint64(64 - band_bits)
    texts = np.arange(n, dtype=np.uint64)[:, None]
    packed = bands | (key >> np.uint64(64 - key_bits)) << np.uint64(text_bits) | texts
    packed = np.sort(packed.ravel())
    bucket = packed >> np.uint64(text_bits)
    text = (packed & np.uint64((1 << text_bits) - 1)).astype(np.int64)
    same = bucket[1:] == bucket[:-1]
    if not same.any():
        return np.empty((0, 2), dtype=np.int64)
    opens = np.concatenate(([True], ~same))  # where each run starts
    firsts = text[np.flatnonzero(opens)[np.cumsum(opens) - 1]]  # each position's run's first text
    later = text[1:][same]
    band = (packed[1:][same] >> np.uint64(64 - band_bits)).astype(np.intp)
    # Each text has at most one text before it and one first text in each band: its partners, one row per text,
    # made unique within the row (small sorts, far cheaper than sorting all the pairs). Both partners are smaller
    # than the text, as texts increase within a run.
    partners = np.full((n, 2 * BANDS), -1, dtype=np.int32 if n < 2**31 else np.int64)
    partners[later, band] = text[:-1][same]
    partners[later, BANDS + band] = firsts[1:][same]
    partners.sort(axis=1)
    keep = partners >= 0
    keep[:, 1:] &= partners[:, 1:] != partners[:, :-1]
    larger, column = np.nonzero(keep)
    return np.stack([partners[larger, column].astype(np.int64), larger.astype(np.int64)], axis=1)


def near_pairs(prints: Sequence[TextPrint]) -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, Any]]:
    """The pairs of distinct texts (indexes into ``prints``, shape (m, 2)) alike enough to be copies, and their
    similarities."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    found: list[np.ndarray[Any, np.dtype[np.int64]]] = [np.empty((0, 2), dtype=np.int64)]
    scores: list[np.ndarray[Any, Any]] = [np.empty(0)]
    if len(prints) < 2:
        return found[0], scores[0]
    signatures = np.frombuffer(b"".join(p.signature for p in prints), dtype="<u4").reshape(len(prints), NUM_PERM)
    pairs = _candidate_pairs(signatures)
    for start in range(0, len(pairs), PAIR_CHUNK):
        chunk = pairs[start : start + PAIR_CHUNK]
        # The share of equal values, k / NUM_PERM exactly (as the mean of the booleans, without making floats).
        estimates = np.count_nonzero(signatures[chunk[:, 0]] == signatures[chunk[:, 1]], axis=1) / NUM_PERM
        # Texts sharing most of their sentences may have reworded the rest: their exact sentence index decides too.
        doubtful = np.flatnonzero((estimates < COPY_THRESHOLD) & (estimates >= SENTENCE_FLOOR))
        for k, (a, b) in zip(doubtful.tolist(), chunk[doubtful].tolist(), strict=True):
            estimates[k] = max(estimates[k], _sentence_jaccard(prints[a].sentences, prints[b].sentences))
        keep = estimates >= COPY_THRESHOLD
        found.append(chunk[keep])
        scores.append(np.minimum(estimates[keep], NEAR_MAX))
    return np.concatenate(found), np.concatenate(scores)


def copy_groups(prints: Sequence[TextPrint]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """For each distinct text, its group of texts copied from one another (connected components of the near pairs,
    numbered) and its highest similarity to another text of the group (0 when alone)."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    n = len(prints)
    pairs, scores = near_pairs(prints)
    best = np.zeros(n)
    np.maximum.at(best, pairs[:, 0], scores)
    np.maximum.at(best, pairs[:, 1], scores)
    return components(n, pairs), best


def components(n: int, pairs: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The connected components of ``n`` nodes joined by ``pairs``: each node's label is the smallest node of its
    component. Each round hooks the larger root of every pair still split onto the smaller, then points every node
    at its root (pointer jumping): a few rounds, each vectorised over the pairs (scipy's connected_components did
    this, but importing scipy cost more than the whole check at 1,000 units)."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    labels = np.arange(n, dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    while len(a):
        la, lb = labels[a], labels[b]
        split = la != lb
        if not split.any():
            break
        a, b, la, lb = a[split], b[split], la[split], lb[split]
        np.minimum.at(labels, np.maximum(la, lb), np.minimum(la, lb))  # labels never exceed their node
        while True:
            roots = labels[labels]
            if np.array_equal(roots, labels):
                break
            labels = roots
    return labels


def copy_findings(spec: Spec, included: Sequence[Printed]) -> list[Finding]:
    # Up to one finding per unit and part, made amid every unit's values (millions of objects in a large merge): the
    # cyclic garbage collector would walk that heap again and again while they are made, and they hold no cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _copy_findings(spec, included)
    finally:
        if enabled:
            gc.enable()


def _copy_findings(spec: Spec, included: Sequence[Printed]) -> list[Finding]:
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    layout = layout_for(spec)
    parts = {p.key: p for p in spec.parts if p.key in copy_checked_parts(spec)}
    findings: list[Finding] = []
    distinct_by_part: dict[str, dict[bytes, list[int]]] = {k: {} for k in parts}  # digest -> units with the text
    prints_by_part: dict[str, dict[bytes, TextPrint]] = {k: {} for k in parts}
    for i, r in enumerate(included):
        for fp in r.texts:
            distinct = distinct_by_part.get(fp.part)
            if distinct is None:
                continue
            units = distinct.get(fp.digest)
            if units is None:
                distinct[fp.digest] = [i]
                prints_by_part[fp.part][fp.digest] = fp
            else:
                units.append(i)
    file_names: list[str] | None = None  # made once some text is shared
    entry = CODES["N605"]
    # Tens of thousands of messages: the template is checked once for the fields given below, then filled directly.
    if entry.fields() != {"part", "similarity", "others"}:
        raise TemplateFieldsError(f"N605's template names {sorted(entry.fields())}, not part, similarity, others")
    template = entry.template()
    for part_key, part in parts.items():
        distinct, prints = distinct_by_part[part_key], prints_by_part[part_key]
        order = list(prints)
        labels_of, best_of = copy_groups([prints[d] for d in order])
        # Only texts in a group of copies, or held by several units, are looked at one by one.
        labels = labels_of.tolist()
        holders = [distinct[d] for d in order]
        in_group = (np.bincount(labels_of)[labels_of] > 1).tolist() if order else []
        shared = [n for n, units in enumerate(holders) if in_group[n] or len(units) > 1]
        if not shared:
            continue
        if file_names is None:
            file_names = [r.name for r in included]
        members: dict[int, list[int]] = {}  # group -> its units, in input order
        for n in shared:
            members.setdefault(labels[n], []).extend(holders[n])
        # Each group's message names a few of the others: it stays short however large the batch is. A unit among
        # the first few is not named in its own message; the others all see the same names.
        listings: dict[int, tuple[int, int, str, dict[int, str]]] = {}  # group -> units, last named, listings
        for label, group in members.items():
            if len(group) < 2:
                continue
            group.sort()
            head = group[: LISTED + 1]
            names = [included[j].unit_name or file_names[j] for j in head]
            count = len(group) - 1
            # Each unit of the head sees the others of the head (at most LISTED), with the same tail.
            tail = _listing([], count) if count > len(head) - 1 else ""
            named = {i: "、".join(names[:k] + names[k + 1 :]) + tail for k, i in enumerate(head)}
            listings[label] = (count, head[-1], _listing(names[:LISTED], count), named)
        best = best_of.tolist()
        place = layout.parts[part_key]
        # What every finding of the part shares. The findings are made without the dataclass's __init__, which
        # would cost most of the time when tens of thousands of units copy texts.
        common = {**_BLANK, "code": "N605", "severity": entry.severity, "sheet": place.sheet, "cell": place.a1}
        common |= {"message": "", "extra": None}  # set for each finding below
        title = part.display_title
        leads: dict[float, str] = {}  # similarity as shown, by similarity: estimates take few values (k / NUM_PERM)
        # What the units a listing does not name share, by group and similarity: their message, fields and extra
        # are one object each (findings are frozen and nothing writes to their extra), made once.
        unnamed: dict[tuple[int, float], tuple[str, dict[str, str], dict[str, Any]]] = {}
        for n in shared:
            label = labels[n]
            listing = listings.get(label)
            if listing is None:
                continue
            count, last_named, others, named = listing
            units = holders[n]
            similarity = 1.0 if len(units) > 1 else best[n]
            for i in units:
                if i <= last_named:
                    percent = leads.get(similarity)
                    if percent is None:
                        percent = leads[similarity] = f"{similarity:.0%}"
                    fields = {"part": title, "similarity": percent, "others": named[i]}
                    message = template.format_map(fields)
                    extra = {
                        "part": part_key,
                        "similarity": similarity,
                        "units": count,
                        "fields": fields,
                        "variant": "",
                    }
                else:
                    seen = unnamed.get((label, similarity))
                    if seen is None:
                        percent = leads.get(similarity)
                        if percent is None:
                            percent = leads[similarity] = f"{similarity:.0%}"
                        fields = {"part": title, "similarity": percent, "others": others}
                        extra = {"part": part_key, "similarity": similarity, "units": count, "fields": fields}
                        extra["variant"] = ""
                        seen = unnamed[label, similarity] = (template.format_map(fields), fields, extra)
                    message, fields, extra = seen
                r = included[i]
                finding_fields = common.copy()  # assigning existing keys keeps the fields' order
                finding_fields["message"] = message
                finding_fields["file"] = file_names[i]
                finding_fields["unit_name"] = r.unit_name
                finding_fields["unit_code"] = r.unit_code
                finding_fields["extra"] = extra
                finding = _new(Finding)
                _assign(finding, "__dict__", finding_fields)
                findings.append(finding)
    return findings


def _listing(names: list[str], count: int) -> str:
    return "、".join(names) + (f" 等 {count} 个单位" if count > len(names) else "")


_new = object.__new__
_assign = object.__setattr__
# Every field of a Finding at its default: the findings made above start from it.
_BLANK: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Finding) if f.default is not dataclasses.MISSING
}
