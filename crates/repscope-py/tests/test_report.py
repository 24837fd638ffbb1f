"""The HTML report in a real headless browser (Debian's chromium, driven
over the DevTools pipe): the demo's page loads with no console errors and no
network requests, every demo table is in the DOM with the CSVs' values, a
screenshot is not blank (kept as target/test-artifacts/report.png and as the
README's docs/report.png); figures' axes and legends read right (SVG text);
and rs.report / _repr_html_ draw the same charts from Python."""

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import repscope as rs
from headless import Browser, chromium_path

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "target" / "test-artifacts"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "repscope", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    done = run_cli("demo", "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def browser():
    assert chromium_path() is not None, "chromium is missing: scripts/setup-venv installs it"
    with Browser(width=1280, height=900) as b:
        yield b


def png_pixels(data: bytes) -> np.ndarray:
    """The RGB pixels of a PNG."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)


def test_demo_report_loads_offline_and_shows_every_result(demo, browser):
    page = demo / "report.html"
    assert page.exists()
    record = browser.open(page.as_uri())
    assert record.errors == [], record.errors
    assert record.network == [], record.network
    # A screenshot (before any interaction) that is not blank; the
    # viewport is the README's picture.
    shot = browser.screenshot(full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.png").write_bytes(shot)
    pixels = png_pixels(shot)
    assert pixels.std() > 20, pixels.std()
    view = browser.screenshot(full_page=False)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "report.png").write_bytes(view)
    # Every table the demo wrote is a table in the page, cell for cell.
    tables = browser.evaluate("""Array.from(document.querySelectorAll('table.data')).map(t => ({
        csv: t.getAttribute('data-csv'),
        header: Array.from(t.tHead.rows[0].cells).map(c => c.textContent),
        rows: Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.getAttribute('data-value')))
    }))""")
    by_name = {t["csv"]: t for t in tables}
    csvs = sorted(p.name for p in demo.glob("*.csv"))
    assert sorted(by_name) == csvs
    for name in csvs:
        rows = list(csv.reader(io.StringIO((demo / name).read_text())))
        shown = by_name[name]
        assert shown["header"] == rows[0], name
        assert len(shown["rows"]) == len(rows) - 1, name
        for got, want in zip(shown["rows"], rows[1:]):
            for g, w in zip(got, want):
                try:
                    assert float(g) == float(w), (name, g, w)
                except ValueError:
                    assert g == w, (name, g, w)
    # Heatmaps drawn by the page's script: one cell per matrix entry.
    cells = browser.evaluate("Array.from(document.querySelectorAll('svg.heatmap')).map(s => s.querySelectorAll('rect[data-row]').length)")
    assert cells == [49, 49, 64]
    # Hover names the cell and its value.
    tip = browser.evaluate("""(() => { const r = document.querySelector('svg.heatmap rect[data-row="0"][data-col="1"]');
        r.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: 10, clientY: 10}));
        return document.getElementById('tip').textContent; })()""")
    assert "layer0" in tip and "layer1" in tip and "linear_cka" in tip
    # Sorting by a row reorders the columns by its values.
    order = browser.evaluate("""(() => {
        const last = document.querySelectorAll('svg.heatmap')[0].querySelector('text[data-row-label="6"]');
        last.dispatchEvent(new MouseEvent('click', {bubbles: true}));
        const svg = document.querySelectorAll('svg.heatmap')[0];
        return Array.from(svg.querySelectorAll('rect[data-row="6"]')).map(r => [Number(r.getAttribute('x')), Number(r.getAttribute('data-col'))]); })()""")
    first = min(order)[1]
    assert first == 6  # layer6 is most similar to itself
    # Provenance: version, the bundled inputs with their hashes, machine.
    prov = browser.evaluate("document.getElementById('provenance').textContent")
    assert "repscope version" in prov and "SHA-256" in prov
    assert re.search(r"[0-9a-f]{64}", prov)


def test_report_of_a_big_matrix_and_rdm_is_small_and_fast(tmp_path, browser):
    rng = np.random.default_rng(0)
    reps = {f"net{i:02d}": rng.normal(size=(60, 8)) for i in range(48)}
    pairwise = rs.pairwise(reps, measure="linear_cka")
    X = rng.normal(size=(40, 20))
    rdm = rs.rdm(X, method="correlation")
    n = 40
    square = np.zeros((n, n))
    square[np.triu_indices(n, 1)] = rdm
    square += square.T
    path = rs.report({"48 networks": pairwise, "RDM of 40 conditions": square}, tmp_path / "big.html")
    size = path.stat().st_size
    assert size < 5e6, size
    record = browser.open(path.as_uri())
    assert record.errors == [] and record.network == []
    cells = browser.evaluate("Array.from(document.querySelectorAll('svg.heatmap')).map(s => s.querySelectorAll('rect[data-row]').length)")
    assert cells == [48 * 48, 40 * 40]
    print(f"report of 48 x 48 + 40 x 40: {size / 1e6:.2f} MB, loaded in {record.load_seconds:.2f} s")


def test_sorting_puts_zeros_among_the_numbers_and_missing_values_last(tmp_path, browser):
    values = np.array([[1.0, 0.0, -0.5, np.nan, 0.25]])
    path = rs.report({"one row": values}, tmp_path / "sort.html")
    record = browser.open(path.as_uri())
    assert record.errors == []
    order = browser.evaluate("""(() => {
        document.querySelector('svg.heatmap text[data-row-label="0"]').dispatchEvent(new MouseEvent('click', {bubbles: true}));
        return Array.from(document.querySelectorAll('svg.heatmap rect[data-row="0"]'))
            .sort((a, b) => Number(a.getAttribute('x')) - Number(b.getAttribute('x')))
            .map(r => Number(r.getAttribute('data-col'))); })()""")
    assert order == [0, 4, 1, 2, 3]


def test_python_results_render_in_notebooks_and_reports(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 6))
    labels = np.repeat(np.arange(3), 20)
    probe = rs.probe({"l0": X, "l1": X + rng.normal(size=X.shape)}, labels, cv=3, control=True)
    html = probe._repr_html_()
    assert "<svg" in html and "l0" in html and "chance (majority class)" in html
    assert probe.chance == pytest.approx(1 / 3)
    svg = tmp_path / "depth.svg"
    probe.plot(svg)
    text = figure_text(svg.read_text())
    for label in ("l0", "l1", "probe accuracy (band: fold range)", "control accuracy (permuted labels)"):
        assert label in text, label
    pair = rs.pairwise({"a": X, "b": X[:, :3]}, measure="linear_cka")
    assert "data-value" in pair._repr_html_()
    path = rs.report({"probe": probe, "cka": pair}, tmp_path / "r.html", inputs=[svg],
                     parameters={"cv": 3}, seed=0)
    page = path.read_text()
    assert "parameter: cv" in page and "Content-Security-Policy" in page
    with pytest.raises(rs.Error):
        rs.report([object()], tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


def figure_text(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


def test_figures_read_right(demo, tmp_path):
    # The retrieval figure: a log axis ticked at the evaluated dimensions.
    done = run_cli("report", str(demo / "compression.csv"), "-o", str(tmp_path / "c.html"))
    assert done.returncode == 0, done.stderr
    assert 'data-kind="table"' in (tmp_path / "c.html").read_text()
    page = (demo / "report.html").read_text()
    curves = re.findall(r'data-kind="curves">.*?(<svg.*?</svg>)', page, re.S)
    assert len(curves) == 3
    texts = [figure_text(s) for s in curves]
    retrieval = next(t for t in texts if any("retrieval quality" in x for x in t))
    for tick in ("16", "32", "64", "128", "384"):
        assert tick in retrieval, (tick, retrieval)
    assert not any("log10" in x for x in retrieval)
    assert {"float32", "int8", "binary"} <= set(retrieval)
    depth = next(t for t in texts if any("concept depth" in x for x in t))
    for layer in [f"layer{i}" for i in range(7)]:
        assert layer in depth
    assert "chance (majority class)" in depth
    # Cell values with a decimal point, not a raised dot.
    heat = (tmp_path / "h.svg")
    pair = rs.pairwise({"a": np.eye(5), "b": np.eye(5)[:, :3]}, measure="linear_cka")
    pair.plot(heat)
    values = figure_text(heat.read_text())
    assert "1.00" in values and not any("\u00b7" in v for v in values)
