"""The PyTorch path of :func:`repscope.extract`: forward hooks on named
modules, every module captured in the same forward pass, under
``torch.no_grad()``, batches fed to the model where the user's tensors live
(numpy inputs go to the device of the model's parameters), each pass's
outputs pooled and streamed by the core's writer (the same one the ONNX
path uses). torch is imported here only, never by ``import repscope``.

A module called more than once in a forward pass (a shared ReLU, say)
keeps its last call's output, the one the ONNX exporter's scope names last.
For a ``transformers`` model with ``layers=None``, every hidden state
(``output_hidden_states=True``) is captured as ``layer0`` ... ``layerN``
(the embeddings, then each block), pooled by the attention mask.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import _repscope
from .errors import InputError

if TYPE_CHECKING:
    from .extract import Extraction


def _first_tensor(output: Any, torch: Any) -> Any:
    """A module's output tensor: itself, the first tensor of a tuple/list,
    or a model output's ``last_hidden_state``/first field."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping):
        if "last_hidden_state" in output:
            return output["last_hidden_state"]
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        for o in output:
            if isinstance(o, torch.Tensor):
                return o
    raise InputError(f"a hooked module returned {type(output).__name__}, not a tensor")


def _to_numpy(t: Any) -> np.ndarray:
    return np.ascontiguousarray(t.detach().float().cpu().numpy(), dtype=np.float32)


def _device(model: Any) -> Any:
    for p in model.parameters():
        return p.device
    return None


def _batches(
    inputs: Any, batch_size: int, prep: tuple[Any, ...], torch: Any, device: Any
) -> tuple[int, list[str], Iterator[Any]]:
    """(count, labels, batches) for any input a module takes."""
    from .extract import _IMAGE_SUFFIXES

    def to_model(a: np.ndarray) -> Any:
        t = torch.from_numpy(np.ascontiguousarray(a))
        return t.to(device) if device is not None else t

    if isinstance(inputs, (str, os.PathLike)) or (
        isinstance(inputs, Sequence)
        and len(inputs) > 0
        and all(isinstance(p, (str, os.PathLike)) and os.fspath(p).lower().endswith(_IMAGE_SUFFIXES) for p in inputs)
    ):
        if isinstance(inputs, (str, os.PathLike)):
            folder = os.fspath(inputs)
            if folder.lower().endswith(".npy"):
                arr = np.load(folder, mmap_mode="r")
                return _array_batches(arr, batch_size, to_model)
            if not os.path.isdir(folder):
                raise InputError(f"{folder}: not a folder of images or a .npy file")
            # The core's scan, so both paths take a folder's images in one order.
            paths = [os.fspath(p) for p in _repscope.image_paths(folder)]
        else:
            paths = [os.fspath(p) for p in inputs]

        def images() -> Iterator[Any]:
            for s in range(0, len(paths), batch_size):
                yield to_model(_repscope.preprocess_images(paths[s : s + batch_size], prep)), None

        return len(paths), [os.path.basename(p) for p in paths], images()
    if isinstance(inputs, torch.Tensor):
        n = int(inputs.shape[0])
        return n, [str(i) for i in range(n)], (
            (inputs[s : s + batch_size], None) for s in range(0, n, batch_size)
        )
    if isinstance(inputs, np.ndarray):
        if inputs.dtype.kind not in "fiub":
            raise InputError(f"inputs must be numbers, not {inputs.dtype}")
        return _array_batches(inputs, batch_size, to_model)
    dataset = getattr(inputs, "dataset", None)
    if dataset is not None and hasattr(dataset, "__len__"):
        n = len(dataset)

        def loader() -> Iterator[Any]:
            for b in inputs:
                if isinstance(b, Mapping):
                    yield dict(b), _tokens(b)
                elif isinstance(b, (tuple, list)):
                    yield b[0], None
                else:
                    yield b, None

        return n, [str(i) for i in range(n)], loader()
    raise InputError(
        "inputs for a torch module: a tensor, an array, a .npy path, images (a folder or paths), "
        "or a DataLoader (its dataset gives the number of stimuli)"
    )


def _array_batches(arr: Any, batch_size: int, to_model: Any) -> tuple[int, list[str], Iterator[Any]]:
    n = int(arr.shape[0])
    if n == 0:
        raise InputError("inputs hold no stimuli")
    return n, [str(i) for i in range(n)], (
        (to_model(np.asarray(arr[s : s + batch_size], dtype=np.float32)), None) for s in range(0, n, batch_size)
    )


def _tokens(batch: Mapping[str, Any]) -> Optional[list[int]]:
    mask = batch.get("attention_mask")
    if mask is None:
        return None
    return [int(v) for v in mask.sum(dim=1).tolist()]


def extract_module(
    model: Any,
    inputs: Any,
    *,
    out: Any,
    layers: Optional[Sequence[str]],
    pools: list[str],
    batch_size: int,
    prep: tuple[Any, ...],
    projection_width: int,
    seed: int,
) -> Extraction:
    torch = importlib.import_module("torch")

    from .extract import _written

    hidden_states = layers is None
    modules = dict(model.named_modules())
    if not hidden_states:
        assert layers is not None
        if isinstance(layers, str) or len(layers) == 0:
            raise InputError("layers must be a non-empty list of module names")
        unknown = [name for name in layers if name not in modules or name == ""]
        if unknown:
            valid = [n for n in modules if n]
            raise InputError(
                f"no module named {', '.join(repr(u) for u in unknown)}; valid names "
                f"(model.named_modules()): {', '.join(valid)}"
            )
    # The writer checks that every one of the n stimuli was run.
    _n, labels, batches = _batches(inputs, batch_size, prep, torch, _device(model))
    captured: dict[str, Any] = {}

    def hook(name: str) -> Any:
        def keep(_module: Any, _inputs: Any, output: Any) -> None:
            captured[name] = _first_tensor(output, torch)

        return keep

    handles = [] if hidden_states else [modules[name].register_forward_hook(hook(name)) for name in layers or []]
    writer: Any = None
    names: list[str] = list(layers or [])
    try:
        with torch.no_grad():
            for batch, tokens in batches:
                captured.clear()
                if hidden_states:
                    if not isinstance(batch, Mapping):
                        raise InputError(
                            "layers=None captures a transformers model's hidden states; feed it batches "
                            "of keyword arguments (input_ids, attention_mask), or name the layers"
                        )
                    output = model(**batch, output_hidden_states=True)
                    states = getattr(output, "hidden_states", None)
                    if states is None and isinstance(output, Mapping):
                        states = output.get("hidden_states")
                    if states is None:
                        raise InputError("the model returned no hidden_states; name the layers instead")
                    names = [f"layer{i}" for i in range(len(states))]
                    arrays = [_to_numpy(s) for s in states]
                else:
                    if isinstance(batch, Mapping):
                        model(**batch)
                    else:
                        model(batch)
                    missing = [name for name in names if name not in captured]
                    if missing:
                        raise InputError(f"module(s) {', '.join(missing)} did not run in the forward pass")
                    arrays = [_to_numpy(captured[name]) for name in names]
                if writer is None:
                    writer = _repscope.ActivationWriter(
                        os.fspath(out), names, pools, labels, projection_width, seed
                    )
                writer.write(arrays, tokens)
        if writer is None:
            raise InputError("inputs hold no stimuli")
        return _written(out, writer.finish())
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        for h in handles:
            h.remove()
