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
import hashlib
import itertools
import re
import unicodedata
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from giptemplate.checks.checker import COPY_THRESHOLD, SHINGLE_SIZE
from giptemplate.findings import CODES, Finding, TemplateFieldsError
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec
from giptemplate.merge.heap import collector_paused

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
_BAND_WORDS = NUM_PERM // BANDS // 2  # a band's rows (uint32) as 64-bit words
if NUM_PERM % (2 * BANDS) or SENTENCE_DIGEST != 8:
    raise ValueError("a band's rows must fill whole 64-bit words, and a sentence digest be one")

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
    # Each digest read as one unsigned 64-bit integer (SENTENCE_DIGEST bytes): far cheaper than slicing bytes.
    sa, sb = set(memoryview(a).cast("Q")), set(memoryview(b).cast("Q"))
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


def _candidate_pairs(signatures: np.ndarray[Any, np.dtype[np.uint32]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Pairs (i < j, unique) of texts that share a bucket in at least one band: each text with its bucket's first
    text and with the text before it, so a bucket of k texts gives at most 2k pairs."""
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    n = len(signatures)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    # Every band's bucket key at once (bands x texts), from its rows read two at a time as 64-bit numbers.
    block = signatures.view("<u8").reshape(n, BANDS, _BAND_WORDS).transpose(1, 0, 2)
    key = block[:, :, 0].astype(np.uint64)
    for r in range(1, _BAND_WORDS):
        key *= np.uint64(0x100000001B3)
        key ^= block[:, :, r]
    # Mixed (a bijection) so that the top bits kept below depend on every row of the band.
    key ^= key >> np.uint64(32)
    key *= np.uint64(0xD6E8FEB86659FD93)
    key ^= key >> np.uint64(32)
    # One number per band and text, sorted band by band as plain integers (far cheaper than an argsort): as many
    # bits of the key as fit, then the text. Equal keys of a band are then runs, their texts in increasing order. A
    # collision of the truncated keys only adds a pair that is then compared. The sign bit stays clear: numpy sorts
    # int64 faster than uint64.
    text_bits = max(1, (n - 1).bit_length())
    key >>= np.uint64(text_bits + 1)
    key <<= np.uint64(text_bits)
    key |= np.arange(n, dtype=np.uint64)
    packed = key.view(np.int64)
    packed.sort(axis=1)
    continues = np.zeros((BANDS, n), dtype=bool)  # whether a position continues the run before it, band by band
    bucket = packed >> text_bits
    np.equal(bucket[:, 1:], bucket[:, :-1], out=continues[:, 1:])
    same = continues.ravel()
    if not same.any():
        return np.empty((0, 2), dtype=np.int64)
    text = (packed & ((1 << text_bits) - 1)).ravel()
    opens = ~same  # where each run starts
    firsts = text[np.flatnonzero(opens)[np.cumsum(opens) - 1]]  # each position's run's first text
    at = np.flatnonzero(same)
    later, band = text[at], at // n
    # Each text has at most one text before it and one first text in each band: its partners, one row per text,
    # made unique within the row (small sorts, far cheaper than sorting all the pairs). Both partners are smaller
    # than the text, as texts increase within a run.
    partners = np.full((n, 2 * BANDS), -1, dtype=np.int32 if n < 2**31 else np.int64)
    partners[later, band] = text[at - 1]
    partners[later, BANDS + band] = firsts[at]
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
    signatures = np.frombuffer(b"".join([p.signature for p in prints]), dtype="<u4").reshape(len(prints), NUM_PERM)
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
    # Up to one finding per unit and part, made amid every unit's values: see heap.
    with collector_paused():
        return _copy_findings(spec, included)


def _copy_findings(spec: Spec, included: Sequence[Printed]) -> list[Finding]:
    import numpy as np  # lazy: numpy loads only when a merge compares texts, not for a quick check

    layout = layout_for(spec)
    checked = copy_checked_parts(spec)
    parts = {p.key: p for p in spec.parts if p.key in checked}
    # Per part: each distinct text's units in input order (by digest, in order of first appearance) and its first
    # fingerprint, in the same order.
    texts_by_part: dict[str, tuple[dict[bytes, list[int]], list[TextPrint]]] = {k: ({}, []) for k in parts}
    for i, r in enumerate(included):
        for fp in r.texts:
            texts = texts_by_part.get(fp.part)
            if texts is None:
                continue
            units = texts[0].get(fp.digest)
            if units is None:
                texts[0][fp.digest] = [i]
                texts[1].append(fp)
            else:
                units.append(i)
    entry = CODES["N605"]
    # Tens of thousands of messages: the template is checked once for the fields given below, then filled directly.
    if entry.fields() != {"part", "similarity", "others"}:
        raise TemplateFieldsError(f"N605's template names {sorted(entry.fields())}, not part, similarity, others")
    template = entry.template()
    # Who each unit is, looked up once some text is shared.
    identities: list[tuple[str, str, str]] = []  # file, unit name, unit code
    findings: list[Finding] = []
    for part_key, part in parts.items():
        distinct, prints = texts_by_part[part_key]
        if not prints:
            continue
        labels_of, best_of = copy_groups(prints)
        # Every unit holding a text, in the order of the texts and, within a text, of the units: the order of the
        # findings. Only the units of a group of copies of two units or more get one.
        holders = list(distinct.values())
        held = np.fromiter(map(len, holders), dtype=np.int64, count=len(holders))
        units_of = np.fromiter(itertools.chain.from_iterable(holders), dtype=np.int64, count=int(held.sum()))
        text_of = np.repeat(np.arange(len(holders)), held)
        label_of = labels_of[text_of]
        sizes = np.bincount(label_of)  # units per group
        flagged = sizes[label_of] > 1
        if not flagged.any():
            continue
        units_of, text_of, label_of = units_of[flagged], text_of[flagged], label_of[flagged]
        if not identities:
            identities = [(r.name, r.unit_name, r.unit_code) for r in included]
        # Each group's message names a few of the others: it stays short however large the batch is. A unit among
        # the first few is not named in its own message; the others all see the same names.
        by_group = np.lexsort((units_of, label_of))
        grouped_units, grouped_labels = units_of[by_group].tolist(), label_of[by_group]
        starts = np.flatnonzero(np.concatenate(([True], grouped_labels[1:] != grouped_labels[:-1])))
        last_named = np.zeros(len(sizes), dtype=np.int64)  # by group: its last unit named in its listings
        listings: dict[int, tuple[int, str, dict[int, str]]] = {}  # group -> other units, listings
        for label, start in zip(grouped_labels[starts].tolist(), starts.tolist(), strict=True):
            count = int(sizes[label]) - 1
            head = grouped_units[start : start + min(count + 1, LISTED + 1)]
            last_named[label] = head[-1]
            names = [included[j].unit_name or included[j].name for j in head]
            # Each unit of the head sees the others of the head (at most LISTED), with the same tail.
            tail = _listing([], count) if count > len(head) - 1 else ""
            named = {i: "、".join(names[:k] + names[k + 1 :]) + tail for k, i in enumerate(head)}
            listings[label] = (count, _listing(names[:LISTED], count), named)
        similarities = np.where(held[text_of] > 1, 1.0, best_of[text_of])  # the same text: 100%
        is_named = units_of <= last_named[label_of]
        place = layout.parts[part_key]
        # What every finding of the part shares. The findings are made without the dataclass's __init__, which
        # would cost most of the time when tens of thousands of units copy texts: their fields are set in the
        # dataclass's order, those at their defaults left to the class (where a dataclass keeps its defaults).
        common = {**_SET_FIELDS, "code": "N605", "severity": entry.severity, "sheet": place.sheet, "cell": place.a1}
        title = part.display_title
        # The message around its listing, by similarity: estimates take few values (k / NUM_PERM).
        frames: dict[float, tuple[str, list[str]]] = {}
        # What the units a listing does not name share, by group and similarity: their message, fields and extra
        # are one object each (findings are frozen and nothing writes to their extra), made once.
        unnamed: dict[tuple[int, float], tuple[str, dict[str, Any]]] = {}
        for i, label, similarity, listed in zip(
            units_of.tolist(), label_of.tolist(), similarities.tolist(), is_named.tolist(), strict=True
        ):
            if listed:
                frame = frames.get(similarity)
                if frame is None:
                    percent = f"{similarity:.0%}"
                    # The listing is the one field left: the message is the rest joined around it.
                    frame = frames[similarity] = (percent, _split_at_field(template, title, percent))
                count, _, named = listings[label]
                others = named[i]
                fields = {"part": title, "similarity": frame[0], "others": others}
                message = others.join(frame[1])
                extra = {"part": part_key, "similarity": similarity, "units": count, "fields": fields}
                extra["variant"] = ""
            else:
                seen = unnamed.get((label, similarity))
                if seen is None:
                    count, others, _ = listings[label]
                    fields = {"part": title, "similarity": f"{similarity:.0%}", "others": others}
                    extra = {"part": part_key, "similarity": similarity, "units": count, "fields": fields}
                    extra["variant"] = ""
                    seen = unnamed[label, similarity] = (template.format_map(fields), extra)
                message, extra = seen
            finding_fields = common.copy()  # assigning existing keys keeps the fields' order
            finding_fields["message"] = message
            finding_fields["file"], finding_fields["unit_name"], finding_fields["unit_code"] = identities[i]
            finding_fields["extra"] = extra
            finding = _new(Finding)
            _assign(finding, "__dict__", finding_fields)
            findings.append(finding)
    return findings


def _split_at_field(template: str, part: str, similarity: str) -> list[str]:
    """N605's message for ``part`` and ``similarity`` in the pieces around its listing (``others``)."""
    marker = "\x00"  # never in a template or a part's title
    return template.format_map({"part": part, "similarity": similarity, "others": marker}).split(marker)


def _listing(names: list[str], count: int) -> str:
    return "、".join(names) + (f" 等 {count} 个单位" if count > len(names) else "")


_new = object.__new__
_assign = object.__setattr__
# The fields of a Finding that the findings made above set, in the dataclass's order. Every other field must read
# its default from the class: a field added without a plain default stops the import here, not a merge later.
_SET_FIELDS: dict[str, Any] = dict.fromkeys(
    f.name
    for f in dataclasses.fields(Finding)
    if f.name in ("code", "severity", "message", "file", "sheet", "cell", "unit_name", "unit_code", "extra")
)
_LEFT_TO_THE_CLASS = [f.name for f in dataclasses.fields(Finding) if f.name not in _SET_FIELDS]
if any(getattr(Finding, name, dataclasses.MISSING) is dataclasses.MISSING for name in _LEFT_TO_THE_CLASS):
    raise TypeError(f"N605 leaves {_LEFT_TO_THE_CLASS} to Finding's class defaults, and one of them has none")
