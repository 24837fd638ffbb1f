"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): a
few small, valid files of each format, in the layouts repscope reads, made
with the reference writers (numpy, nibabel, scipy, h5py, safetensors).
Deterministic; rerun after adding a case:

    .venv/bin/python fuzz/seed_corpus.py
"""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
import scipy.io
from safetensors.numpy import save as save_safetensors

ROOT = Path(__file__).resolve().parent / "corpus"
rng = np.random.default_rng(0)


def put(target: str, name: str, data: bytes) -> None:
    folder = ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def npy_bytes(a: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, a, allow_pickle=False)
    return out.getvalue()


def npz_bytes(compressed: bool, **arrays: np.ndarray) -> bytes:
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


def main() -> None:
    shutil.rmtree(ROOT, ignore_errors=True)
    x = rng.normal(size=(6, 4))
    put("npy", "f64.npy", npy_bytes(x))
    put("npy", "f32_fortran.npy", npy_bytes(np.asfortranarray(x.astype(np.float32))))
    put("npy", "big_endian.npy", npy_bytes(x.astype(">f8")))
    put("npy", "int16.npy", npy_bytes((x * 100).astype(np.int16)))
    put("npy", "f16_3d.npy", npy_bytes(rng.normal(size=(2, 3, 4)).astype(np.float16)))
    put("npy", "text.npy", npy_bytes(np.array(["a", "bb", "stimulus"])))
    put("npy", "bool.npy", npy_bytes(x > 0))
    put("npz", "plain.npz", npz_bytes(False, layer0=x, layer1=x[:, :2]))
    put("npz", "compressed.npz", npz_bytes(True, a=x, __stimuli__=np.array([f"s{i}" for i in range(6)])))
    put("safetensors", "two.safetensors", save_safetensors({"a": x, "b": x[:, :3].astype(np.float32).copy()},
                                                           metadata={"stimuli": "s0,s1"}))
    put("safetensors", "f16.safetensors", save_safetensors({"h": x.astype(np.float16)}))
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    vol = rng.normal(size=(3, 4, 2, 2)).astype(np.float32)
    for name, image in [("n1", nib.Nifti1Image(vol, affine)), ("n2", nib.Nifti2Image(vol, affine))]:
        data = image.to_bytes()
        put("nifti", f"{name}.nii", data)
        put("nifti", f"{name}.nii.gz", gzip.compress(data, mtime=0))
    small = nib.Nifti1Image(rng.integers(0, 3, size=(2, 2, 2)).astype(np.int16), affine)
    put("nifti", "int16.nii", small.to_bytes())
    coords = nib.gifti.GiftiDataArray(rng.normal(size=(4, 3)).astype(np.float32),
                                      intent="NIFTI_INTENT_POINTSET", datatype="NIFTI_TYPE_FLOAT32")
    faces = nib.gifti.GiftiDataArray(np.array([[0, 1, 2], [1, 2, 3]], dtype=np.int32),
                                     intent="NIFTI_INTENT_TRIANGLE", datatype="NIFTI_TYPE_INT32")
    put("gifti", "mesh.surf.gii", nib.gifti.GiftiImage(darrays=[coords, faces]).to_bytes())
    for encoding in ("ASCII", "B64BIN", "B64GZ"):
        values = nib.gifti.GiftiDataArray(rng.normal(size=4).astype(np.float32), encoding=encoding,
                                          datatype="NIFTI_TYPE_FLOAT32")
        put("gifti", f"func_{encoding}.func.gii", nib.gifti.GiftiImage(darrays=[values]).to_bytes())
    # CIFTI-2: the XML of a dense time series over a few surface vertices.
    axis = nib.cifti2.BrainModelAxis.from_mask(np.array([1, 0, 1, 1], dtype=bool), name="CortexLeft")
    series = nib.cifti2.SeriesAxis(start=0, step=1, size=3)
    header = nib.cifti2.Cifti2Header.from_axes((series, axis))
    image = nib.cifti2.Cifti2Image(rng.normal(size=(3, 3)).astype(np.float32), header)
    image.update_headers()
    put("cifti_xml", "dtseries.xml", image.header.to_xml())
    for name, kwargs in [("v5.mat", {}), ("v5_compressed.mat", {"do_compression": True})]:
        out = io.BytesIO()
        scipy.io.savemat(out, {"betas": x, "names": np.array(["a", "b"], dtype=object),
                               "s": {"rdm": x[:3, :3], "label": "V1"}}, **kwargs)
        put("mat_v5", name, out.getvalue())
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        f["layer0"] = x
        f["layer1"] = x[:, :2].astype(np.float32)
        f["stimuli"] = np.array([f"s{i}" for i in range(6)], dtype=h5py.string_dtype())
    put("hdf5", "two.h5", out.getvalue())
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        f.create_dataset("chunked", data=x, chunks=(2, 2), compression="gzip")
    put("hdf5", "chunked_gzip.h5", out.getvalue())
    put("labels", "lines.txt", b"cat\ndog\ncat\n\nbird\n")
    put("labels", "table.tsv", b"condition\trun\ncat\t1\ndog\t2\n")
    put("edges", "by_index.tsv", b"source\ttarget\tweight\n0\t1\t0.5\n2\t3\t1\n11\t0\t2.5\n")
    put("edges", "by_label.csv", b"s0,s1\ns2,s3\n")
    put("coefficients", "table.csv", b"block,L1,L2\n# comment\nencoder.0.weight,0.5,0.25\nhead\t1\t-1\n")
    put("coefficients", "alphas.txt", b"1e-2:1e5:15")


if __name__ == "__main__":
    main()
