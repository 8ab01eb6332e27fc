"""N605: narrative parts copied from another unit of the same batch, found in near-linear time.

Workers fingerprint each free narrative part (:func:`fingerprint`): the text with its digest after dropping
whitespace, punctuation, symbols and digits (years and counts change in a copy) and the digests of its sentences.
The merge then groups identical texts by digest, pairs distinct texts that share at least half of their
sentences, and confirms those pairs with the checks' similarity measure (the same one N604 uses against last
year). Sentences found in more than :data:`COPY_COMMON` texts are boilerplate and pair nobody. A copy reworded in
every sentence is not found this way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from giptemplate.findings import Finding, make
from giptemplate.spec import Spec

if TYPE_CHECKING:
    from giptemplate.merge.collect import FileResult

COPY_MIN_CHARS = 50  # texts shorter than this (letters only) are too short to call a copy
COPY_COMMON = 50  # a sentence found in more texts than this is boilerplate: it pairs no texts
MIN_SENTENCE = 8
LISTED = 10

_SENTENCE_END = re.compile(r"[。；！？;!?\n]+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


class TextPrint(NamedTuple):
    part: str
    text: str
    digest: bytes  # of the letters-only text
    sentences: tuple[bytes, ...]  # digests of its letters-only sentences


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


def copy_checked_parts(spec: Spec) -> tuple[str, ...]:
    """The narrative parts compared between units: the free texts, not the required statements (六)."""
    return tuple(p.key for s in spec.sections if s.parts and not any(q.require_any for q in s.parts) for p in s.parts)


def fingerprint(part: str, text: str) -> TextPrint | None:
    """The fingerprint of one part's text, or None when it is too short to compare."""
    normal = unicodedata.normalize("NFKC", text)
    letters = _NOT_LETTERS.sub("", normal)
    if len(letters) < COPY_MIN_CHARS:
        return None
    sentences = {_NOT_LETTERS.sub("", s) for s in _SENTENCE_END.split(normal)}
    return TextPrint(part, text, _digest(letters), tuple(_digest(s) for s in sentences if len(s) >= MIN_SENTENCE))


def copy_findings(spec: Spec, included: Sequence[FileResult]) -> list[Finding]:
    from giptemplate.checks import COPY_THRESHOLD, text_similarity
    from giptemplate.layout import layout_for

    layout = layout_for(spec)
    parts = {p.key: p for p in spec.parts if p.key in copy_checked_parts(spec)}
    findings: list[Finding] = []
    for part_key, part in parts.items():
        distinct: dict[bytes, list[int]] = {}  # text digest -> units with that text
        prints: dict[bytes, TextPrint] = {}
        for i, r in enumerate(included):
            for fp in r.texts:
                if fp.part == part_key:
                    distinct.setdefault(fp.digest, []).append(i)
                    prints.setdefault(fp.digest, fp)
        holders: dict[bytes, list[bytes]] = {}
        for digest, fp in prints.items():
            for sentence in fp.sentences:
                holders.setdefault(sentence, []).append(digest)
        shared: Counter[tuple[bytes, bytes]] = Counter()
        for texts in holders.values():
            if 1 < len(texts) <= COPY_COMMON:
                shared.update((a, b) if a < b else (b, a) for n, a in enumerate(texts) for b in texts[n + 1 :])
        near: dict[bytes, dict[bytes, float]] = {}
        for (a, b), n in shared.items():
            if 2 * n < max(len(prints[a].sentences), len(prints[b].sentences)):
                continue
            score = text_similarity(prints[a].text, prints[b].text)
            if score >= COPY_THRESHOLD:
                near.setdefault(a, {})[b] = score
                near.setdefault(b, {})[a] = score
        place = layout.parts[part_key]
        for digest, members in distinct.items():
            others_near = sorted(near.get(digest, {}).items())
            count_near = sum(len(distinct[d]) for d, _ in others_near)
            for i in members:
                count = len(members) - 1 + count_near
                if not count:
                    continue
                # Name a few of the others: the message stays short however large the batch is.
                shown = [included[j] for j in members[: LISTED + 1] if j != i][:LISTED]
                for d, _ in others_near:
                    shown.extend(included[j] for j in distinct[d][: max(0, LISTED - len(shown))])
                names = [o.unit_name or o.name for o in shown]
                listed = "、".join(names) + (f" 等 {count} 个单位" if count > len(names) else "")
                similarity = 1.0 if len(members) > 1 else max(score for _, score in others_near)
                r = included[i]
                findings.append(
                    make(
                        "N605",
                        f"「{part.display_title}」与本批其他单位雷同（相似度 {similarity:.0%}）：{listed}。",
                        file=r.name,
                        unit_name=r.unit_name,
                        unit_code=r.unit_code,
                        sheet=place.sheet,
                        cell=place.a1,
                        extra={"part": part_key, "similarity": similarity, "units": count},
                    )
                )
    return findings
