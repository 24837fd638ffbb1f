"""Activations of any model, streamed to disk: ONNX graphs (run by the Rust
core, no Python at run time), live PyTorch modules (forward hooks), and
Hugging Face ``transformers`` models (all hidden states).

Every path writes the same file: a ``.safetensors`` of float32 stimuli x
units matrices, one per layer, in the order asked, with the stimulus labels
in its metadata, written batch by batch (memory holds one batch) and
published only when complete. :func:`repscope.load` reads it whole,
:func:`repscope.load_rows` and ``repscope similarity --stream`` a block of
rows at a time.

Pooling (one name for every layer, or a dict layer -> name):

- ``auto``: ``mean`` for feature maps (rank >= 4), ``token_mean`` for token
  sequences (rank 3), batch x units as it is;
- ``flatten``: every value, in C order (``c*H*W + h*W + w`` for a feature map);
- ``mean`` / ``max``: over spatial positions, one unit per channel
  (channels first, as PyTorch and ONNX store them);
- ``cls``, ``token_mean``, ``last``: the first token, the mean over the real
  tokens (the attention mask), the last real token of a batch x tokens x
  hidden sequence;
- ``project``: a seeded very sparse random projection (Li, Hastie & Church
  2006) of ``flatten`` to ``projection_width`` units, for huge layers.

Images are read and preprocessed by the core exactly as torchvision's
``Resize(256)``, ``CenterCrop(224)``, ``ToTensor()``, ``Normalize(mean,
std)`` on a PIL image (Pillow's bilinear resampling reproduced in fixed
point): PNG pixels are equal; JPEG decoders differ from libjpeg by a few
grey levels on some pixels.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from .errors import InputError

__all__ = [
    "Extraction",
    "extract",
    "onnx_layers",
    "preprocess_images",
    "read_thingsvision",
    "read_net2brain",
]

Path = Union[str, "os.PathLike[str]"]
Pool = Union[str, Mapping[str, str]]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class Extraction:
    """What :func:`extract` wrote.

    Attributes
    ----------
    path : str
        The ``.safetensors`` file.
    stimuli : int
        Rows (stimuli) of every layer.
    layers : dict of str to int
        Layer name -> units stored, in the file's order.
    passes : int
        Forward passes run (one per batch: every layer comes from the same pass).
    """

    path: str
    stimuli: int
    layers: dict[str, int]
    passes: int


def _written(path: Path, w: tuple[int, list[tuple[str, int]], int]) -> Extraction:
    n, layers, passes = w
    return Extraction(os.fspath(path), n, dict(layers), passes)


def _pools(pool: Pool) -> list[str]:
    if isinstance(pool, str):
        return [pool]
    if isinstance(pool, Mapping):
        return [f"{k}={v}" for k, v in pool.items()]
    raise InputError(f"pool must be a name or a dict layer -> name, not {type(pool).__name__}")


def _prep(
    preprocess: str,
    resize: Optional[int],
    crop: Union[int, tuple[int, int], None],
    mean: Optional[Sequence[float]],
    std: Optional[Sequence[float]],
    bgr: bool,
) -> tuple[Any, ...]:
    def triple(v: Optional[Sequence[float]], name: str) -> Optional[list[float]]:
        if v is None:
            return None
        t = [float(x) for x in v]
        if len(t) != 3:
            raise InputError(f"{name} needs 3 values (R, G, B), not {len(t)}")
        return t

    if isinstance(crop, int):
        crop = (crop, crop)
    return (preprocess, resize, crop, triple(mean, "mean"), triple(std, "std"), bool(bgr))


def onnx_layers(model: Path) -> list[dict[str, Any]]:
    """Every tensor of an ONNX graph that :func:`extract` can capture.

    Returns one dict per tensor: ``name`` (pass it as a layer), ``node``,
    ``op``, ``shape`` (for one stimulus; None where it cannot be inferred)
    and ``module`` (the PyTorch module whose scope made it, which also works
    as a layer name; None for other exporters).

    Examples
    --------
    >>> import repscope as rs
    >>> rs.onnx_layers("no/such.onnx")
    Traceback (most recent call last):
    ...
    repscope.errors.IoError: no/such.onnx: no such ONNX file
    """
    _, tensors = _repscope.onnx_graph(os.fspath(model))
    return [
        {"name": n, "node": node, "op": op, "shape": shape, "module": module}
        for n, node, op, shape, module in tensors
    ]


def preprocess_images(
    paths: Sequence[Path],
    *,
    preprocess: str = "imagenet",
    resize: Optional[int] = None,
    crop: Union[int, tuple[int, int], None] = None,
    mean: Optional[Sequence[float]] = None,
    std: Optional[Sequence[float]] = None,
    bgr: bool = False,
) -> np.ndarray:
    """Image files as a model's input: (n, 3, H, W) float32.

    ``preprocess="imagenet"`` is torchvision's evaluation transform (resize
    the short side to 256, centre-crop 224, ImageNet mean and std);
    ``"none"`` keeps the size and gives pixels / 255. ``resize``, ``crop``
    (N or (H, W)), ``mean``, ``std`` replace the preset's values; ``bgr``
    reverses the channels.
    """
    return np.asarray(
        _repscope.preprocess_images(
            [os.fspath(p) for p in paths], _prep(preprocess, resize, crop, mean, std, bgr)
        )
    )


def extract(
    model: Any,
    inputs: Any,
    *,
    out: Path,
    layers: Optional[Sequence[str]] = None,
    pool: Pool = "auto",
    batch_size: int = 32,
    preprocess: str = "imagenet",
    resize: Optional[int] = None,
    crop: Union[int, tuple[int, int], None] = None,
    mean: Optional[Sequence[float]] = None,
    std: Optional[Sequence[float]] = None,
    bgr: bool = False,
    tokenizer: Optional[Path] = None,
    projection_width: int = 1024,
    seed: int = 0,
    threads: Optional[int] = None,
) -> Extraction:
    """Runs a model on stimuli and streams the chosen layers to ``out``.

    Parameters
    ----------
    model : path or torch.nn.Module
        An ``.onnx`` file (run by the Rust core), a Hugging Face BERT folder
        (``config.json``, ``model.safetensors``, ``tokenizer.json``: every
        hidden state, ``layer0`` ... ``layerN``), or a live
        ``torch.nn.Module`` (forward hooks; ``transformers`` models give all
        hidden states when ``layers`` is None).
    inputs
        Images: a folder (``.png``/``.jpg``/``.jpeg``, sorted by name) or a
        list of image paths. Arrays: a ``.npy`` path or an array, stimuli
        first. Texts: a list of strings (ONNX: with ``tokenizer``). For a
        PyTorch module also a tensor, or an iterable of batches (tensors,
        tuples whose first item is the input, or dicts of keyword
        arguments, e.g. a ``DataLoader``, whose ``dataset`` gives the count).
    out : path
        The ``.safetensors`` file to write.
    layers : list of str
        ONNX: tensor, node or PyTorch module names (:func:`onnx_layers`).
        PyTorch: names from ``model.named_modules()``. All are captured in
        one forward pass per batch.
    pool : str or dict
        See the module documentation.
    batch_size : int
        Stimuli per forward pass.
    preprocess, resize, crop, mean, std, bgr
        Image preprocessing (see :func:`preprocess_images`).
    tokenizer : path
        ``tokenizer.json`` for texts into an ONNX graph.
    projection_width, seed
        Width and seed of ``project`` pooling.
    threads : int
        Threads the core splits a batch across (default: all cores).

    Returns
    -------
    Extraction
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, not {batch_size!r}")
    if isinstance(projection_width, bool) or not isinstance(projection_width, int) or projection_width < 1:
        raise InputError(f"projection_width must be a positive integer, not {projection_width!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, not {seed!r}")
    pools = _pools(pool)
    prep = _prep(preprocess, resize, crop, mean, std, bgr)
    if _is_torch_module(model):
        from . import _torch_hooks

        return _torch_hooks.extract_module(
            model, inputs, out=out, layers=layers, pools=pools, batch_size=batch_size,
            prep=prep, projection_width=projection_width, seed=seed,
        )
    if not isinstance(model, (str, os.PathLike)):
        raise InputError(
            f"model must be an .onnx path, a BERT folder or a torch.nn.Module, not {type(model).__name__}"
        )
    if os.path.isdir(model):
        return _extract_bert(model, inputs, out, layers, pool, batch_size)
    if layers is None or isinstance(layers, str):
        raise InputError("layers must be a list of layer names (rs.onnx_layers lists them)")
    n_threads = threads if threads is not None else (os.cpu_count() or 1)
    common: dict[str, Any] = dict(
        model=os.fspath(model), out=os.fspath(out), layers=list(layers), pools=pools,
        batch_size=batch_size, projection_width=projection_width, seed=seed, threads=n_threads,
    )
    return _written(out, _repscope.extract_onnx(**common, **_onnx_inputs(inputs, prep, tokenizer)))


def _is_torch_module(model: Any) -> bool:
    return any(
        c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(model).__mro__
    )


def _onnx_inputs(inputs: Any, prep: tuple[Any, ...], tokenizer: Optional[Path]) -> dict[str, Any]:
    """The core's keyword arguments for one kind of stimuli."""
    if isinstance(inputs, (str, os.PathLike)):
        path = os.fspath(inputs)
        if os.path.isdir(path):
            return {"images": path, "prep_args": prep}
        if path.lower().endswith(".npy"):
            return {"arrays_path": path}
        raise InputError(
            f"{path}: give a folder of images, a .npy file, a list of image paths, an array or texts"
        )
    if isinstance(inputs, np.ndarray) or (hasattr(inputs, "__array__") and not isinstance(inputs, Sequence)):
        a = np.asarray(inputs)
        if a.dtype.kind not in "fiub":
            raise InputError(f"inputs must be numbers, not {a.dtype}")
        if a.ndim < 1 or a.shape[0] == 0:
            raise InputError(f"inputs need one row per stimulus, not shape {a.shape}")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise InputError("inputs hold NaN or infinite values; a model's activations of them mean nothing")
        return {"arrays": np.ascontiguousarray(a, dtype=np.float32)}
    if isinstance(inputs, Sequence) and len(inputs) > 0:
        items = list(inputs)
        if all(isinstance(p, (str, os.PathLike)) and os.fspath(p).lower().endswith(_IMAGE_SUFFIXES) for p in items):
            return {"image_list": [os.fspath(p) for p in items], "prep_args": prep}
        if all(isinstance(t, str) for t in items):
            if tokenizer is None:
                raise InputError("texts into an ONNX graph need tokenizer='tokenizer.json'")
            return {"texts": items, "tokenizer": os.fspath(tokenizer)}
    raise InputError(
        "inputs must be a folder of images, a list of image paths, a .npy path, an array, or texts"
    )


def _extract_bert(
    model: Path, inputs: Any, out: Path, layers: Optional[Sequence[str]], pool: Pool, batch_size: int
) -> Extraction:
    if layers is not None:
        raise InputError("a BERT folder gives every hidden state; leave layers=None")
    if isinstance(inputs, str) or not isinstance(inputs, Sequence) or not all(isinstance(t, str) for t in inputs):
        raise InputError("a BERT folder takes a list of texts")
    if any(not t.strip() for t in inputs):
        raise InputError("a text is empty; every text is one stimulus")
    name = pool if isinstance(pool, str) else None
    if name not in ("auto", "mean", "cls"):
        raise InputError(f"a BERT folder pools with 'mean' or 'cls', not {pool!r}")
    w = _repscope.extract_bert(
        os.fspath(model), list(inputs), os.fspath(out), "mean" if name == "auto" else name, batch_size
    )
    return _written(out, w)


# ---------------------------------------------------------------- readers


def _flat(a: np.ndarray, n: Optional[int] = None) -> np.ndarray:
    a = np.asarray(a)
    rows = a.shape[0] if n is None else n
    return a.reshape(rows, -1).astype(np.float64)


def _names_file(folder: str) -> Optional[list[str]]:
    for where in (folder, os.path.dirname(os.path.abspath(folder))):
        p = os.path.join(where, "file_names.txt")
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                return [line.rstrip("\n") for line in f if line.strip()]
    return None


def _chunk_end(name: str) -> int:
    m = re.search(r"_(\d+)-(\d+)\.npy$", name)
    return int(m.group(2)) if m else -1


def _thingsvision_layer(folder: str) -> np.ndarray:
    """One thingsvision module folder as stimuli x units."""
    from .data import load

    files = sorted(os.listdir(folder))
    for ext in ("npy", "hdf5", "mat", "txt"):
        whole = f"features.{ext}"
        if whole in files:
            path = os.path.join(folder, whole)
            if ext == "npy":
                return _flat(np.load(path, allow_pickle=False))
            if ext == "txt":
                return _flat(np.loadtxt(path, ndmin=2))
            if ext == "hdf5":
                return _flat(load(path + ":/features")["features"])
            # thingsvision writes .mat with scipy (MAT v5), whose reader
            # restores arrays of any rank in C order.
            scipy_io = importlib.import_module("scipy.io")
            variables = {k: v for k, v in scipy_io.loadmat(path).items() if not k.startswith("__")}
            if "features" in variables:
                return _flat(variables["features"])
            # Keyed by stimulus (file_names.txt beside it): one row each.
            return np.vstack([_flat(v, 1) for v in variables.values()])
    chunks = sorted((f for f in files if _chunk_end(f) >= 0), key=_chunk_end)
    if chunks:
        return np.vstack([_flat(np.load(os.path.join(folder, c), allow_pickle=False)) for c in chunks])
    splits = sorted(f for f in files if re.fullmatch(r"features_\d+\.npy", f))
    if splits:
        return np.vstack([_flat(np.load(os.path.join(folder, s), allow_pickle=False)) for s in splits])
    raise InputError(f"{folder}: no thingsvision features (features.npy/.hdf5/.mat/.txt or features_*.npy)")


def read_thingsvision(folder: Path, model_name: Optional[str] = None) -> Any:
    """thingsvision's saved features as a :class:`RepSet`, layer names kept.

    Reads the layouts thingsvision writes: a folder per module holding
    ``features.npy``, ``.hdf5`` (dataset ``features``), ``.mat`` or
    ``.txt`` (``save_features``; the folders are named
    ``features_<model>_<module>`` in its examples, or just ``<module>`` as
    ``extract_features(output_dir=...)`` makes them), batch chunks
    ``features_<start>-<end>.npy`` (concatenated in order of ``end``) or
    splits ``features_01.npy`` ...; or one such file directly in ``folder``.
    Arrays with more than two dimensions are flattened per stimulus in C
    order. ``file_names.txt`` (in the folder or its parent) gives the
    stimulus labels. ``model_name`` strips ``features_<model_name>_`` from
    folder names.
    """
    from .data import RepSet

    root = os.fspath(folder)
    if not os.path.isdir(root):
        raise InputError(f"{root}: not a folder")
    subdirs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    reps: dict[str, np.ndarray] = {}
    if subdirs:
        for d in subdirs:
            name = d
            if model_name and d.startswith(f"features_{model_name}_"):
                name = d[len(f"features_{model_name}_"):]
            reps[name] = _thingsvision_layer(os.path.join(root, d))
    else:
        reps[os.path.basename(os.path.normpath(root))] = _thingsvision_layer(root)
    return _as_repset(RepSet, reps, _names_file(root), root)


def _natural_key(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def read_net2brain(folder: Path) -> Any:
    """Net2Brain's saved features as a :class:`RepSet`, layer names kept.

    Reads both layouts of Net2Brain's ``FeatureExtractor``: the default
    ``consolidated_<layer>.npz`` files (one per layer, a key per stimulus)
    and one ``<stimulus>.npz`` per stimulus (a key per layer). Stimuli are
    natural-sorted by name, as Net2Brain's own RDM code orders them; each
    array's leading batch dimension of 1 is dropped and the rest flattened in
    C order. The stimulus names are the labels.
    """
    from .data import RepSet

    root = os.fspath(folder)
    if not os.path.isdir(root):
        raise InputError(f"{root}: not a folder")
    files = sorted(f for f in os.listdir(root) if f.endswith(".npz"))
    consolidated = [f for f in files if f.startswith("consolidated_")]
    reps: dict[str, np.ndarray] = {}
    stimuli: Optional[list[str]] = None
    if consolidated:
        for f in consolidated:
            with np.load(os.path.join(root, f), allow_pickle=False) as z:
                keys = sorted(z.files, key=_natural_key)
                if stimuli is None:
                    stimuli = keys
                elif keys != stimuli:
                    raise InputError(f"{f} holds other stimuli than {consolidated[0]}")
                reps[f[len("consolidated_"):-len(".npz")]] = np.vstack([_flat(z[k], 1) for k in keys])
    elif files:
        stems = sorted((f[:-4] for f in files), key=_natural_key)
        rows: dict[str, list[np.ndarray]] = {}
        for s in stems:
            with np.load(os.path.join(root, s + ".npz"), allow_pickle=False) as z:
                if not rows:
                    rows = {k: [] for k in z.files}
                if set(z.files) != set(rows):
                    raise InputError(f"{s}.npz holds other layers ({sorted(z.files)}) than the first file")
                for k in rows:
                    rows[k].append(_flat(z[k], 1))
        reps = {k: np.vstack(v) for k, v in rows.items()}
        stimuli = stems
    else:
        raise InputError(f"{root}: no Net2Brain features (consolidated_<layer>.npz or <stimulus>.npz)")
    return _as_repset(RepSet, reps, stimuli, root)


def _as_repset(cls: Any, reps: dict[str, np.ndarray], stimuli: Optional[list[str]], where: str) -> Any:
    counts = {k: v.shape[0] for k, v in reps.items()}
    if len(set(counts.values())) > 1:
        raise InputError(f"{where}: layers have different numbers of stimuli: {counts}")
    n = next(iter(counts.values()))
    if stimuli is not None and len(stimuli) != n:
        stimuli = None
    return cls(reps, stimuli=stimuli)

