"""Publishing against a local stub of the Hub's upload API: retries, resume, refusal, token handling.

The real huggingface_hub client does every HTTP call; the stub only stands in for the server so
faults (429, 5xx, a commit whose response is lost) can be injected on demand.
"""
import logging

import huggingface_hub
import pytest
from typer.testing import CliRunner

from export_fakerun import pair_records, write_run
from hub_stub import HubStub
from muri_gen.cli import app
from muri_gen.export.hub_folder import HubDatasetConfig, export_run
from muri_gen.export.publish import PublishError, Retry, local_files, publish

TOKEN = "hf_stubtoken_0123456789abcdef"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    run = write_run(tmp_path_factory.mktemp("run"), pair_records(("spa", "epo")))
    return export_run(run, HubDatasetConfig(license="cc0-1.0"))


@pytest.fixture()
def hub(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)  # the stub speaks basic LFS
    with HubStub() as stub:
        yield stub


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def remote_matches(stub, repo_id, folder) -> bool:
    local = {f.path_in_repo: f.local.read_bytes() for f in local_files(folder)}
    remote = {p: d for p, d in stub.repos[repo_id].items() if p != ".gitattributes"}
    return remote == local


def test_publish_retries_429_and_5xx_then_succeeds_in_one_commit(dataset, hub, caplog):
    hub.fail("tree", 429)
    hub.fail("preupload", 500)
    hub.fail("put", 503)
    hub.fail("commit", 500, 502)
    sleeps = Sleeps()
    with caplog.at_level(logging.DEBUG):
        plan = publish(dataset, "org/udhr", retry=Retry(base_seconds=0.5, sleep=sleeps), endpoint=hub.url)
    assert remote_matches(hub, "org/udhr", dataset)
    assert len(hub.commits) == 1 and len(plan.upload) == len(plan.files)
    assert hub.calls("commit") == 3 and hub.calls("tree") >= 2
    assert len(sleeps) >= 2 and sleeps[1] >= sleeps[0] * 0.99  # exponential backoff (with jitter)
    assert all(auth == f"Bearer {TOKEN}" for route, _, auth in hub.requests if route in ("commit", "preupload"))
    assert TOKEN not in caplog.text


def test_lost_commit_response_is_not_committed_twice(dataset, hub):
    hub.fail("commit", "lost")
    publish(dataset, "org/udhr", retry=Retry(base_seconds=0.01), endpoint=hub.url)
    assert len(hub.commits) == 1 and remote_matches(hub, "org/udhr", dataset)


def test_interrupted_upload_resumes_without_resending_blobs(dataset, hub):
    hub.fail("commit", 500, 500, 500)
    with pytest.raises(PublishError, match="run the same command again to resume"):
        publish(dataset, "org/udhr", retry=Retry(attempts=3, base_seconds=0.01), endpoint=hub.url)
    assert hub.commits == [] and set(hub.repos["org/udhr"]) == {".gitattributes"}
    puts = hub.calls("put")
    assert puts == sum(1 for f in local_files(dataset) if f.path_in_repo.endswith(".parquet"))
    publish(dataset, "org/udhr", retry=Retry(base_seconds=0.01), endpoint=hub.url)
    assert hub.calls("put") == puts  # the Hub already had every blob
    assert remote_matches(hub, "org/udhr", dataset) and len(hub.commits) == 1
    plan = publish(dataset, "org/udhr", endpoint=hub.url)
    assert plan.upload == [] and len(hub.commits) == 1  # up to date: no empty commit


def test_chunked_commits_resume_where_they_stopped_and_readme_goes_last(dataset, hub):
    hub.fail("commit", None, 500, 500)  # the first commit lands, the second fails until the retries run out
    with pytest.raises(PublishError):
        publish(dataset, "org/udhr", retry=Retry(attempts=2, base_seconds=0.01), endpoint=hub.url,
                max_files_per_commit=3)
    first = set(hub.repos["org/udhr"]) - {".gitattributes"}
    assert len(first) == 3 and "README.md" not in first
    plan = publish(dataset, "org/udhr", retry=Retry(base_seconds=0.01), endpoint=hub.url, max_files_per_commit=3)
    assert {f.path_in_repo for f in plan.upload} == {f.path_in_repo for f in plan.files} - first
    assert remote_matches(hub, "org/udhr", dataset)


def test_refuses_a_repo_with_other_content_unless_forced(dataset, hub):
    hub.add_file("org/other", "data/deu/train-00000.parquet", b"someone else's data")
    hub.add_file("org/other", "README.md", b"---\nlicense: mit\n---\n# another dataset\n")
    with pytest.raises(PublishError, match="(?s)already holds a different dataset.*--force"):
        publish(dataset, "org/other", endpoint=hub.url)
    assert hub.commits == [] and hub.calls("put") == 0
    publish(dataset, "org/other", force=True, endpoint=hub.url)
    assert remote_matches(hub, "org/other", dataset)  # the foreign file is gone, ours are there


def test_missing_token_fails_before_any_request(dataset, hub, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    with pytest.raises(PublishError, match="no Hugging Face token"):
        publish(dataset, "org/udhr", endpoint=hub.url)
    assert hub.requests == []


def test_card_rejected_by_the_hub_stops_before_upload(dataset, hub):
    hub.fail("validate", 400)
    with pytest.raises(PublishError, match="rejected the dataset card"):
        publish(dataset, "org/udhr", endpoint=hub.url)
    assert hub.calls("put") == 0 and hub.commits == []


def test_cli_dry_run_lists_files_offline_and_publish_reports_errors(dataset, monkeypatch, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["publish", str(dataset.parent), "--repo-id", "org/udhr", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dataset card: OK" in result.output and "+ data/spa/train-00000.parquet" in result.output
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    result = runner.invoke(app, ["publish", str(dataset.parent), "--repo-id", "org/udhr"])
    assert result.exit_code == 1 and "error: no Hugging Face token" in result.output
    result = runner.invoke(app, ["publish", str(tmp_path), "--repo-id", "org/udhr", "--dry-run"])
    assert result.exit_code == 1 and "hub_dataset sink" in result.output


def test_publish_refreshes_the_card_with_scores_added_after_the_run(tmp_path):
    run = write_run(tmp_path / "run", pair_records(("epo",)))
    export_run(run, HubDatasetConfig())
    assert "Human evaluation" not in (run.root / "dataset" / "README.md").read_text()
    (run.root / "eval").mkdir()
    (run.root / "eval" / "scores.json").write_text('{"summary": {"epo alignment": "4.2 ± 0.3"}, "sheets": 2}')
    result = CliRunner().invoke(app, ["publish", str(run.root), "--repo-id", "org/epo", "--dry-run"])
    assert result.exit_code == 0, result.output
    card = (run.root / "dataset" / "README.md").read_text()
    assert "| epo alignment | 4.2 ± 0.3 |" in card
    assert 'load_dataset("org/epo")' in card and str(run.root) not in card  # the repo, not the local folder


def test_a_token_without_write_access_gets_a_clear_error(dataset, hub):
    hub.fail("create", 403)
    with pytest.raises(PublishError, match="refused the token.*write access"):
        publish(dataset, "org/new", endpoint=hub.url)
    assert hub.calls("put") == 0


def test_retry_after_is_honoured_and_private_repos_are_created_private(dataset, hub):
    hub.fail("commit", (429, 7))
    sleeps = Sleeps()
    publish(dataset, "org/private", private=True, retry=Retry(sleep=sleeps), endpoint=hub.url)
    assert sleeps == [7.0]
    assert hub.created[0]["visibility"] == "private" and hub.created[0]["type"] == "dataset"
    assert remote_matches(hub, "org/private", dataset)
