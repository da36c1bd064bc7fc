"""release/quickstart.ipynb executed by a real Jupyter kernel (nbclient + ipykernel), as a user runs it:
the filter recipe on a Dataset in memory, instructions from the embedded SmolLM2 inside the kernel's
running event loop, bias tracing, mitigation and curation. The notebook's own asserts are the checks;
a failing cell fails the test with its traceback."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "release" / "quickstart.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_the_quickstart_notebook_runs_in_a_jupyter_kernel(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    monkeypatch.setenv("MURI_GEN_RUNS", str(tmp_path))  # the run folders; the kernel inherits the environment
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    client = NotebookClient(notebook, kernel_name="python3", timeout=1200, record_timing=True,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    per_cell = [round(_seconds(cell.metadata.execution)) for cell in code]
    print(f"quickstart.ipynb executed in {seconds:.0f} s (cells: {per_cell})", file=sys.stderr)

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # tqdm.auto drew the progress bars as notebook widgets, not as text torn by the cell output
    assert any(WIDGET in o.get("data", {}) for o in outputs if o.output_type == "display_data")
    results = {cell.source.splitlines()[-1]: cell.outputs for cell in notebook.cells if cell.cell_type == "code"}
    assert "RunResult(192 records" in results["filtered"][-1]["data"]["text/plain"]
    assert "RunResult(3 records -> " in results["pairs"][-1]["data"]["text/plain"]
    assert (tmp_path / "quickstart" / "pairs" / "dataset" / "README.md").exists()
    assert (tmp_path / "quickstart" / "curated" / "scores.jsonl").exists()


def _seconds(execution: dict) -> float:
    from datetime import datetime

    start, end = (datetime.fromisoformat(execution[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()
