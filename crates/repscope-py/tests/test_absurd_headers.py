"""A file whose header declares an absurd size is refused without the
memory it names being taken: each reader checks the declared size against
the file (or the compressed stream's bound) before allocating. Each case
runs in a fresh process whose peak resident memory (VmHWM, reset before the
read) must stay within a few MiB; every file also goes through the CLI
(`repscope info`, exit status 2)."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

CHILD = textwrap.dedent(
    """
    import json, sys
    import repscope as rs

    def status(field):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS:")
    try:
        rs.load(sys.argv[1])
        outcome = "loaded"
    except rs.Error as e:
        outcome = type(e).__name__ + ": " + str(e)
    print(json.dumps({"outcome": outcome, "grown": status("VmHWM:") - base}))
    """
)

TERA = 10**12


def npy_declaring(shape):
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\x00" * 64


def safetensors_declaring(shape):
    header = json.dumps({"x": {"dtype": "F64", "shape": shape, "data_offsets": [0, 8 * TERA]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00" * 64


def nifti_declaring(dims):
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, len(dims), *dims, *([1] * (7 - len(dims))))
    struct.pack_into("<h", h, 70, 64)  # float64
    struct.pack_into("<h", h, 72, 64)
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<f", h, 108, 352)
    h[344:348] = b"n+1\x00"
    return bytes(h) + b"\x00" * 64


def npz_with(name, payload, compress):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        z.writestr(name, payload)
    return out.getvalue()


CASES = {
    "npy declaring 10^12 x 10^6": ("x.npy", npy_declaring((TERA, 10**6))),
    "npy declaring 10^12 elements": ("y.npy", npy_declaring((TERA,))),
    "safetensors declaring 10^12 elements": ("x.safetensors", safetensors_declaring([TERA])),
    "safetensors header length 2^63": ("h.safetensors", struct.pack("<Q", 2**63) + b"{}"),
    "nifti declaring 30000^3 voxels": ("v.nii", nifti_declaring((30000, 30000, 30000))),
    "gzipped nifti declaring 30000^3 voxels": ("v.nii.gz", gzip.compress(nifti_declaring((30000, 30000, 30000)))),
    "npz entry declaring 10^12 elements": ("a.npz", npz_with("a.npy", npy_declaring((TERA,)), True)),
    # 64 MiB of zeros inflate from ~64 KiB: allowed by deflate's ratio, but
    # the declared npy inside is refused before its payload is decoded.
    "npz of an inflating entry": ("b.npz", npz_with("b.npy", npy_declaring((TERA,)) + b"\x00" * (64 << 20), True)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_an_absurd_declared_size_is_refused_without_allocating_it(name, tmp_path):
    file_name, data = CASES[name]
    path = tmp_path / file_name
    path.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["outcome"] != "loaded", name
    assert "Error" in result["outcome"]
    # The declared sizes are terabytes; reading the file may take what the
    # file holds (64 MiB for the inflating entry) and little else.
    allowed = len(data) + (64 << 20) + (16 << 20)
    assert result["grown"] < allowed, (name, result)
    cli = subprocess.run([sys.executable, "-m", "repscope", "--quiet", "info", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2, (name, cli.stdout, cli.stderr)
    assert "panicked" not in cli.stderr
    assert path.read_bytes() == data  # the input is untouched
