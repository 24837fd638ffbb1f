"""ONNX extraction side by side (run with .venv-torch/bin/python; bench/run
does): repscope's core (tract) against onnxruntime and against PyTorch, on
the same seeded torchvision ResNet-18, the same inputs (a .npy of
preprocessed images), the same batch size and the same number of threads.

repscope is timed end to end as a user runs it, the release CLI
(`repscope extract --arrays x.npy`: starting, loading and optimising the
graph, reading the inputs, the forward passes, writing the captured layers
to disk); onnxruntime and torch only run the forward passes on arrays
already in memory, so the ratios favour the peers. Two captures: the logits only (what a peer's
plain forward computes) and eight layers in one pass. The outputs are
checked equal (1e-4 relative) before timing.

Prints one JSON line per capture with the times and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from _timing import timed  # noqa: E402

import repscope as rs  # noqa: E402

LAYERS = ["relu", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc", "layer4.1.relu"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    tmp = Path(tempfile.mkdtemp())
    onnx_path = tmp / "resnet18.onnx"
    torch.onnx.export(model, torch.zeros(2, 3, 224, 224), str(onnx_path), opset_version=13,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}})
    x = np.random.default_rng(0).standard_normal((args.n, 3, 224, 224)).astype(np.float32)
    np.save(tmp / "x.npy", x)
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    batches = [x[s : s + args.batch] for s in range(0, args.n, args.batch)]

    def run_ort() -> np.ndarray:
        return np.vstack([session.run(None, {"input": b})[0] for b in batches])

    def run_torch() -> np.ndarray:
        with torch.no_grad():
            return np.vstack([model(torch.from_numpy(b)).numpy() for b in batches])

    binary = os.environ.get("REPSCOPE_BIN", str(Path(__file__).resolve().parents[1] / "target/release/repscope"))

    def run_rs(layers: list[str]) -> dict:
        out = tmp / "acts.safetensors"
        subprocess.run([binary, "--quiet", "--threads", str(THREADS), "extract", str(onnx_path), "--arrays",
                        str(tmp / "x.npy"), "--layers", ",".join(layers), "--batch-size", str(args.batch),
                        "-o", str(out)], check=True)
        return rs.load(out)

    reference = run_ort()
    ours = run_rs(["fc"])["fc"]
    assert np.abs(ours - reference).max() <= 1e-4 * np.abs(reference).max()
    t_ort, _ = timed(run_ort, args.repeats)
    t_torch, _ = timed(run_torch, args.repeats)
    for what, layers in (("logits", ["fc"]), ("8 layers, one pass", LAYERS)):
        t_rs, _ = timed(lambda: run_rs(layers), args.repeats)
        print(json.dumps({
            "model": "resnet18 (seeded), 224x224", "stimuli": args.n, "batch": args.batch,
            "threads": THREADS, "capture": what, "repscope_s": round(t_rs, 3),
            "onnxruntime_s": round(t_ort, 3), "torch_s": round(t_torch, 3),
            "repscope_over_onnxruntime": round(t_rs / t_ort, 2),
            "repscope_over_torch": round(t_rs / t_torch, 2),
            "onnxruntime": ort.__version__, "torch": torch.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
