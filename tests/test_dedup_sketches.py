"""The dedup fit in two steps: shard sketches made by the workers of the segment before it (in
parallel under Ray), then one in-order pass. On the UDHR bench corpus (exact copies and documents
that share articles), the sketches the workers made give the same duplicates, template lines and
kept rows as sketches all made at the fit, in one process."""
import shutil

from muri_gen.bench.filtering import build_corpus, write_recipe
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from tests.run_outcome import run_outcome

STAGES = """\
  - {stage: normalize}
  - {stage: language_id, backend: lid}
  - {stage: dedup, repeated_line_min_docs: 20}
"""


def test_worker_sketches_give_the_fit_of_sketches_made_at_the_fit(tmp_path):
    corpus = build_corpus(2000, tmp_path / "udhr-docs.jsonl")
    recipe = write_recipe(corpus, STAGES, tmp_path, shard_size=150, batch_size=64)
    run_dir = RunDir(tmp_path / "run")
    stats = run_recipe(load_recipe(recipe))
    assert "dedup: 14 of 14 shard sketches made by the workers before it, 0 at the fit" in run_dir.log.read_text()
    assert stats["by_reason"]["dedup:duplicate"] > 40  # the 2% exact copies and more
    state = run_dir.state_dir("dedup")
    assert not (state / "sketches").exists()  # removed once the fit is done
    from_workers = run_outcome(tmp_path / "run")
    duplicates = (state / "duplicates.jsonl").read_text()

    # the fit again, every sketch made at the fit, in one process (what a resumed or retried run does)
    shutil.rmtree(state)
    for path in run_dir.segment_dir(2).iterdir():
        path.unlink()
    for path in run_dir.rejected.glob("seg-2-*"):
        path.unlink()
    run_recipe(load_recipe(recipe))
    assert "dedup: 0 of 14 shard sketches made by the workers before it, 14 at the fit" in run_dir.log.read_text()
    assert (state / "duplicates.jsonl").read_text() == duplicates
    assert run_outcome(tmp_path / "run") == from_workers

