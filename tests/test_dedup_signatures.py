"""The dedup fit's fast paths give exactly what the straightforward ones give, on real UDHR text:
shingle hashes for many documents in one numpy pass, and MinHash signatures for many documents at
once (datasketch's values, with the same shingle hash)."""
import numpy as np
from datasketch import MinHash

from muri_gen.text import dominant_script
from muri_gen.stages.dedup import _PRIME, Signatures, shingle_hashes, tokens
from muri_gen.stages.dedup_fit import mix64

MASK64 = (1 << 64) - 1


def mix64_int(value: int) -> int:
    """splitmix64's finalizer in plain Python integers."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def shingle_hash(shingle: tuple[str, ...]) -> int:
    """One shingle's hash the slow way: Horner's rule over its bytes, then splitmix64, high 32 bits."""
    value = 0
    for byte in " ".join(shingle).encode("utf-8", "surrogatepass"):
        value = (value * _PRIME + byte + 1) & MASK64
    return mix64_int(value) >> 32


def shingles(words: list[str], n: int) -> list[tuple[str, ...]]:
    if len(words) <= n:
        return [tuple(words)]
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def test_mix64_is_splitmix64():
    values = [0, 1, 2**63, MASK64, 0x9E3779B97F4A7C15]
    assert mix64(np.array(values, dtype=np.uint64)).tolist() == [mix64_int(v) for v in values]


def test_shingle_hashes_and_signatures_match_datasketch(udhr_rows):
    texts = [row["text"] for row in udhr_rows[:300]] + ["", "one", "ein zwei drei vier fünf", "a\ud800b c d e f"]
    words = [tokens(text, dominant_script(text)[0]) for text in texts]
    assert any(len(w) > 5 for w in words) and any(len(w) <= 5 for w in words)
    assert {dominant_script(t)[0] for t in texts} >= {"Latn", "Cyrl", "Arab", "Deva", "Hani"}
    hashes, counts = shingle_hashes(words, 5)
    expected_hashes = [[shingle_hash(s) for s in shingles(w, 5)] for w in words]
    assert counts.tolist() == [len(h) for h in expected_hashes]
    assert hashes.tolist() == [h for document in expected_hashes for h in document]
    expected = [m.hashvalues for m in MinHash.bulk([shingles(w, 5) for w in words], num_perm=64, hashfunc=shingle_hash)]
    assert np.array_equal(Signatures(64).of(hashes, counts), np.array(expected))


def test_shingle_hashes_tell_word_order_and_boundaries_apart():
    documents = [["a", "b", "c"], ["b", "a", "c"], ["ab", "c"], ["a", "bc"], ["a", "b", "c"], []]
    hashes, counts = shingle_hashes(documents, 5)
    assert counts.tolist() == [1] * 6
    assert len(set(hashes[:4].tolist())) == 4 and hashes[4] == hashes[0]


def test_shingle_hashes_cross_chunks_as_one_pass(udhr_rows, monkeypatch):
    words = [tokens(row["text"], dominant_script(row["text"])[0]) for row in udhr_rows[:200]] + [[]]
    whole = shingle_hashes(words, 5)
    monkeypatch.setattr("muri_gen.stages.dedup._CHUNK_BYTES", 3000)  # a chunk every few documents
    chunked = shingle_hashes(words, 5)
    assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1])
