"""Peak memory of a streamed extraction (run with .venv-torch/bin/python;
bench/run does): 20,000 stimuli through a seeded convolutional network whose
two captured layers (flattened) total 2.49 GB of float32, written by
`repscope extract` (the release CLI) batch by batch. Reports the CLI's peak
resident memory (/usr/bin/time), the model's size and the output's size:
memory must stay near the model plus one batch, whatever the number of
stimuli. The inputs (a 1.24 GB .npy) are read a batch at a time too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

N, SIDE, BATCH = 20_000, 72, 64
ROOT = Path(__file__).resolve().parents[1]


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def main() -> None:
    binary = Path(os.environ.get("REPSCOPE_BIN", ROOT / "target" / "release" / "repscope"))
    tmp = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    torch.manual_seed(0)
    model = tmp / "net.onnx"
    torch.onnx.export(Net().eval(), torch.zeros(2, 3, SIDE, SIDE), str(model), opset_version=13,
                      input_names=["input"], dynamic_axes={"input": {0: "batch"}})
    inputs = tmp / "inputs.npy"
    x = np.lib.format.open_memmap(inputs, mode="w+", dtype=np.float32, shape=(N, 3, SIDE, SIDE))
    g = np.random.default_rng(0)
    for s in range(0, N, 1000):
        x[s : s + 1000] = g.standard_normal((min(1000, N - s), 3, SIDE, SIDE), dtype=np.float32)
    x.flush()
    del x
    out = tmp / "acts.safetensors"
    cmd = ["/usr/bin/time", "-v", str(binary), "--quiet", "extract", str(model), "--arrays", str(inputs),
           "--layers", "conv1,conv2", "--pool", "flatten", "--batch-size", str(BATCH), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr).group(1)
    units = 4 * SIDE * SIDE + 8 * (SIDE // 2) ** 2
    print(json.dumps({
        "stimuli": N, "captured_units": units, "captured_gb": round(N * units * 4 / 1e9, 2),
        "output_gb": round(out.stat().st_size / 1e9, 2), "inputs_gb": round(inputs.stat().st_size / 1e9, 2),
        "model_kb": round(model.stat().st_size / 1e3, 1), "batch": BATCH,
        "peak_rss_mb": round(peak_kb / 1024, 1), "wall": wall,
    }), flush=True)
    out.unlink()
    inputs.unlink()


if __name__ == "__main__":
    main()
