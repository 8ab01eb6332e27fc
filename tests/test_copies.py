"""N605 at scale: copies found in groups, the pairs compared bounded however many units copy one text."""

from __future__ import annotations

import dataclasses
import pickle
import random
import zlib

import numpy as np
from datasketch import MinHash

from giptemplate.checks.checker import COPY_THRESHOLD, text_similarity
from giptemplate.findings import Finding
from giptemplate.format.spec import Spec
from giptemplate.merge.collect import FileResult
from giptemplate.merge.copies import BANDS, NUM_PERM, _candidate_pairs, components, copy_findings, fingerprint, minhash

PHRASES = (
    "严格落实保密审查制度",
    "及时更新网站栏目内容",
    "认真办理依申请公开事项",
    "加强政策解读工作",
    "规范政务新媒体管理",
    "开展业务培训",
    "梳理主动公开事项清单",
    "完善信息发布流程",
    "清理行政规范性文件",
    "推进决策公开",
    "做好建议提案办理结果公开",
    "健全公开属性认定机制",
    "群众满意度明显提升",
    "答复质量进一步提高",
    "社会关切得到及时回应",
)


def sentence(rng: random.Random) -> str:
    return "，".join(rng.sample(PHRASES, 3)) + "。"


def unit(i: int, part: str, text: str) -> FileResult:
    return FileResult(
        f"/in/u{i}.xlsx", 1, 1.0, unit_name=f"单位{i}", unit_code=f"C{i}", texts=(fingerprint(part, text),)
    )  # type: ignore[arg-type]


def edited(model: list[str], rng: random.Random) -> str:
    """The model text with one sentence edited (a phrase appended), as units that copy a model text do."""
    sentences = list(model)
    at = rng.randrange(len(sentences))
    sentences[at] = sentences[at][:-1] + "，" + rng.choice(PHRASES) + "。"
    return "".join(sentences)


def test_a_cluster_of_edited_copies_is_one_group_and_others_stay_apart(spec: Spec) -> None:
    part = next(p.key for p in spec.parts if p.key != "s6")
    rng = random.Random(5)
    model = [sentence(rng) for _ in range(8)]
    copies = [edited(model, random.Random(i)) for i in range(40)]
    own = []
    for i in range(20):
        own_rng = random.Random(1000 + i)
        own.append("".join(sentence(own_rng) for _ in range(4)))
    # By the exact measure: the copies are alike, the own texts are not copies of anything.
    assert all(text_similarity(copies[0], c) >= COPY_THRESHOLD for c in copies[1:])
    assert all(text_similarity(o, t) < COPY_THRESHOLD for o in own for t in copies[:5] + own if t != o)
    findings = copy_findings(spec, [unit(i, part, t) for i, t in enumerate(copies + own)])
    flagged = {f.unit_name: f for f in findings}
    assert set(flagged) == {f"单位{i}" for i in range(40)}
    assert {f.extra["units"] for f in flagged.values()} == {39}
    for name, f in flagged.items():
        twins = copies.count(copies[int(name.removeprefix("单位"))])
        assert (f.extra["similarity"] == 1.0) == (twins > 1) and f.extra["similarity"] >= COPY_THRESHOLD
    assert "等 39 个单位" in flagged["单位0"].message
    # Made without __init__, they are findings like any other: equal to the same made by it, field for field.
    for f in findings:
        made = Finding(**{field.name: getattr(f, field.name) for field in dataclasses.fields(Finding)})
        assert made == f and repr(made) == repr(f) and dataclasses.asdict(made) == dataclasses.asdict(f)
        assert pickle.loads(pickle.dumps(f)) == f and f.as_dict() == made.as_dict()


def test_candidate_pairs_grow_linearly_with_the_cluster() -> None:
    signatures = np.tile(np.arange(64, dtype=np.uint32), (500, 1))  # 500 identical signatures: one bucket a band
    pairs = _candidate_pairs(signatures)
    assert len(pairs) <= 2 * 500  # star and chain, not 500 * 499 / 2
    assert {int(b) for _, b in pairs} == set(range(1, 500))


def test_candidate_pairs_join_exactly_the_texts_that_share_a_band() -> None:
    """Every two texts whose signatures agree on all rows of some band end up in one component of the candidate
    pairs, and every candidate pair agrees on some band (signatures drawn from few values, so bands collide)."""
    rng = np.random.default_rng(4)
    rows = NUM_PERM // BANDS
    for n in (2, 3, 40, 300):
        signatures = rng.integers(0, 3, size=(n, NUM_PERM), dtype=np.uint32)
        signatures[:, rows:] = rng.integers(0, 2**32, size=(n, NUM_PERM - rows), dtype=np.uint32)
        banded = signatures.reshape(n, BANDS, rows)
        pairs = _candidate_pairs(signatures)
        assert all(a < b for a, b in pairs.tolist()) and len({(a, b) for a, b in pairs.tolist()}) == len(pairs)
        assert all((banded[a] == banded[b]).all(axis=1).any() for a, b in pairs.tolist())
        labels = components(n, pairs).tolist()
        for a in range(n):
            for b in range(a + 1, n):
                if (banded[a] == banded[b]).all(axis=1).any():
                    assert labels[a] == labels[b], (n, a, b)


def test_signature_is_datasketchs_minhash() -> None:
    """The numpy signature gives the values datasketch's affine32 MinHash (seed 1, crc32) gives the same shingles:
    signatures stay comparable with those of earlier runs and of workers on other machines."""
    rng = random.Random(3)
    for size in (1, 2, 5, 300):
        shingles = ["".join(rng.choice(PHRASES)[:5] for _ in range(2))[: rng.randint(1, 9)] for _ in range(size)]
        expected = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32, scheme="affine32")
        expected.update_batch(s.encode("utf-8") for s in shingles)
        assert minhash(shingles) == expected.hashvalues.astype("<u4").tobytes()


def test_components_are_those_of_a_union_find() -> None:
    rng = random.Random(11)
    for n, m in ((1, 0), (10, 0), (50, 40), (300, 200), (300, 1000)):
        pairs = np.array([sorted(rng.sample(range(n), 2)) for _ in range(m)] if n > 1 else [], dtype=np.int64)
        pairs = pairs.reshape(-1, 2)
        if n > 40:  # a long chain in decreasing order too: the case pointer jumping shortens
            chain = np.array([[k - 1, k] for k in range(n - 1, n - 40, -1)], dtype=np.int64)
            pairs = np.concatenate([pairs, chain])
        parent = list(range(n))

        def root(x: int, parent: list[int] = parent) -> int:
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in pairs.tolist():
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
        assert components(n, pairs).tolist() == [root(x) for x in range(n)]
