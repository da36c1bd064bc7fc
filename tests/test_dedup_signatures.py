"""The dedup fit's fast paths give exactly what the straightforward ones give, on real UDHR text:
shingle hashes read from one encoded text, and MinHash signatures for many documents at once."""
import zlib

import numpy as np
from datasketch import MinHash

from muri_gen.text import dominant_script
from muri_gen.stages.dedup import Signatures, shingle_hashes, tokens


def joined_shingles(words: list[str], n: int) -> list[bytes]:
    if len(words) <= n:
        return [" ".join(words).encode("utf-8", "surrogatepass")]
    return [" ".join(words[i : i + n]).encode("utf-8", "surrogatepass") for i in range(len(words) - n + 1)]


def test_shingle_hashes_and_signatures_match_datasketch(udhr_rows):
    texts = [row["text"] for row in udhr_rows[:300]] + ["", "one", "ein zwei drei vier fünf", "a\ud800b c d e f"]
    words = [tokens(text, dominant_script(text)[0]) for text in texts]
    assert any(len(w) > 5 for w in words) and any(len(w) <= 5 for w in words)
    assert {dominant_script(t)[0] for t in texts} >= {"Latn", "Cyrl", "Arab", "Deva", "Hani"}
    hashes = [shingle_hashes(w, 5) for w in words]
    assert hashes == [[zlib.crc32(s) for s in joined_shingles(w, 5)] for w in words]
    expected = [m.hashvalues for m in MinHash.bulk([joined_shingles(w, 5) for w in words], num_perm=64,
                                                   hashfunc=zlib.crc32)]
    assert np.array_equal(Signatures(64).of(hashes), np.array(expected))
