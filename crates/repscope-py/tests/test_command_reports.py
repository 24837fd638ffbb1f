"""`--report` on the analysis commands: every page opens offline in headless
Chromium with no console errors and no requests, its tables hold the very
numbers the command computes (read back from the page's `data-value`
cells and checked against the command's own output files or the Python
API), and a searchlight's maps show as slices through their peak."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

import repscope as rs
from headless import Browser, chromium_path

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "target" / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    assert chromium_path() is not None, "chromium is missing: scripts/setup-venv installs it"
    with Browser(width=1100, height=900) as b:
        yield b


def page_tables(page: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Each data table of a report by its CSV name: header and exact cells."""
    out = {}
    text = page.read_text()
    for name, body in re.findall(r'<table class="data" data-csv="([^"]*)">(.*?)</table>', text, re.S):
        head, rows = body.split("</thead>")
        header = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", head)]
        cells = [[html.unescape(v) for v in re.findall(r'data-value="([^"]*)"', r)]
                 for r in re.findall(r"<tr>(.*?)</tr>", rows)]
        out[html.unescape(name)] = (header, cells)
    return out


def numbers(rows: list[list[str]], first: int = 1) -> np.ndarray:
    return np.array([[float(v) if v else np.nan for v in r[first:]] for r in rows])


def opens_cleanly(browser: Browser, page: Path) -> None:
    record = browser.open(page.as_uri())
    assert record.errors == [], record.errors
    assert record.network == [], record.network


def square(condensed: np.ndarray) -> np.ndarray:
    n = int(round((1 + np.sqrt(1 + 8 * len(condensed))) / 2))
    m = np.zeros((n, n))
    m[np.triu_indices(n, 1)] = condensed
    return m + m.T


def test_rdm_compare_and_time_course_reports(tmp_path, run_cli, browser):
    rng = np.random.default_rng(3)
    layers = {f"layer{i}": rng.normal(size=(30, 12)) for i in range(3)}
    np.savez(tmp_path / "reps.npz", **layers)
    labels = [f"c{i % 10}" for i in range(30)]
    (tmp_path / "conditions.txt").write_text("\n".join(labels) + "\n")
    run_cli("--quiet", "rdm", tmp_path / "reps.npz", "--conditions", tmp_path / "conditions.txt",
            "-o", tmp_path / "rdms.npz", "--report", tmp_path / "rdm.html", check=0)
    tables = page_tables(tmp_path / "rdm.html")
    for name, x in layers.items():
        want = square(rs.rdm(x, method="correlation", conditions=labels))
        header, rows = tables[f"rdm_{name}.csv"]
        assert header[1:] == [f"c{i}" for i in range(10)]
        assert [r[0] for r in rows] == header[1:]
        np.testing.assert_array_equal(numbers(rows), want)
        _, mds = tables[f"mds_{name}.csv"]
        assert len(mds) == 10
    opens_cleanly(browser, tmp_path / "rdm.html")
    cells = browser.evaluate("Array.from(document.querySelectorAll('svg.heatmap')).map(s => s.querySelectorAll('rect[data-row]').length)")
    assert cells == [100, 100, 100]

    run_cli("--quiet", "compare", tmp_path / "rdms.npz", "-o", tmp_path / "compare.csv",
            "--report", tmp_path / "compare.html", check=0)
    written = list(csv.reader((tmp_path / "compare.csv").open()))
    header, rows = page_tables(tmp_path / "compare.html")["compare.csv"]
    assert header == written[0]
    np.testing.assert_array_equal(numbers(rows), numbers(written[1:]))
    opens_cleanly(browser, tmp_path / "compare.html")

    np.save(tmp_path / "movie.npy", rng.normal(size=(8, 5, 24)))
    np.savez(tmp_path / "models.npz", near=rng.random(28), far=rng.random(28))
    run_cli("--quiet", "rdm", tmp_path / "movie.npy", "--time", "--window", "4", "--step", "4",
            "--models", tmp_path / "models.npz", "--table", tmp_path / "course.csv",
            "--report", tmp_path / "time.html", check=0)
    written = list(csv.reader((tmp_path / "course.csv").open()))
    header, rows = page_tables(tmp_path / "time.html")["time_course.csv"]
    assert header[1:] == [r[0] for r in written[1:]]  # one curve per model
    np.testing.assert_array_equal(numbers(rows), numbers(written[1:]).T)
    assert [float(r[0]) for r in rows] == [0, 4, 8, 12, 16, 20]
    opens_cleanly(browser, tmp_path / "time.html")


def test_encode_and_compress_reports(tmp_path, run_cli, browser):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 8))
    np.savez(tmp_path / "features.npz", early=x, late=x @ rng.normal(size=(8, 8)))
    np.savez(tmp_path / "targets.npz", v1=x[:, :3] + 0.3 * rng.normal(size=(60, 3)))
    run_cli("--quiet", "encode", tmp_path / "features.npz", tmp_path / "targets.npz", "--cv", "3",
            "-o", tmp_path / "scores.csv", "--report", tmp_path / "encode.html", check=0)
    per_target = list(csv.DictReader((tmp_path / "scores.csv").open()))
    header, rows = page_tables(tmp_path / "encode.html")["encode.csv"]
    assert [r[0] for r in rows] == ["early", "late"]
    for r in rows:
        scores = [float(t["cv_score"]) for t in per_target if t["features"] == r[0]]
        assert float(r[header.index("mean_score")]) == pytest.approx(np.mean(scores), rel=1e-12)
    page = (tmp_path / "encode.html").read_text()
    ticks = [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", page, re.S)]
    assert "early" in ticks and "late" in ticks
    assert "v1 (band: interquartile range over targets)" in ticks
    opens_cleanly(browser, tmp_path / "encode.html")

    emb = rng.normal(size=(120, 32))
    np.savez(tmp_path / "emb.npz", emb=emb)
    (tmp_path / "labels.txt").write_text("\n".join(str(i % 4) for i in range(120)) + "\n")
    run_cli("--quiet", "compress", tmp_path / "emb.npz", "--eval", tmp_path / "labels.txt",
            "--dims", "8,16,full", "-o", tmp_path / "compression.csv",
            "--report", tmp_path / "compress.html", check=0)
    written = list(csv.reader((tmp_path / "compression.csv").open()))
    header, rows = page_tables(tmp_path / "compress.html")["compression.csv"]
    assert header == written[0]
    assert len(rows) == len(written) - 1 == 9
    for got, want in zip(rows, written[1:]):
        for g, w in zip(got, want):
            try:
                assert float(g) == float(w)
            except ValueError:
                assert g == w
    opens_cleanly(browser, tmp_path / "compress.html")
    # A report needs the evaluation; asking for one without it changes nothing.
    bad = run_cli("compress", tmp_path / "emb.npz", "--codes", tmp_path / "codes.npy",
                  "--precision", "int8", "--report", tmp_path / "no.html", check=2)
    assert "--eval" in bad.stderr
    assert not (tmp_path / "codes.npy").exists() and not (tmp_path / "no.html").exists()


def test_searchlight_report_shows_slices_through_each_peak(tmp_path, run_cli, browser):
    rng = np.random.default_rng(6)
    shape, k, runs = (14, 12, 10), 6, 3
    grid = np.indices(shape).astype(float)
    centre = (np.array(shape) - 1)[:, None, None, None] / 2
    mask = (((grid - centre) / (centre + 0.5)) ** 2).sum(0) <= 1
    volumes = rng.normal(size=(*shape, k * runs))
    latent = rng.normal(size=(k, 2))
    conditions = np.tile(np.arange(k), runs)
    box = volumes[3:6, 4:7, 3:6]
    box += np.einsum("xyzl,kl->xyzk", rng.normal(size=(3, 3, 3, 2)), latent)[..., conditions] * 3
    model = np.array([np.sum((latent[i] - latent[j]) ** 2) for i in range(k) for j in range(i + 1, k)])
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-14, -12, -10]
    nib.save(nib.Nifti1Image(volumes, affine), tmp_path / "betas.nii.gz")
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), affine), tmp_path / "mask.nii.gz")
    (tmp_path / "conditions.txt").write_text("\n".join(map(str, conditions)) + "\n")
    models = {"planted": model, "noise": rng.random(model.size)}
    np.savez(tmp_path / "models.npz", **models)
    page = tmp_path / "searchlight.html"
    run_cli("--quiet", "searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
            "--conditions", tmp_path / "conditions.txt", "--models", tmp_path / "models.npz",
            "-r", "1.5", "-o", tmp_path / "maps", "--report", page, check=0)
    maps = rs.searchlight(volumes, mask, conditions, radius=1.5, models=models)
    tables = page_tables(page)
    for name, m in maps.items():
        header, rows = tables[f"{name}_peaks.csv"]
        assert header == ["rank", "i", "j", "k", "x (mm)", "y (mm)", "z (mm)", "corr"]
        values = m[np.isfinite(m)]
        top = np.sort(values)[::-1][:10]
        np.testing.assert_array_equal([float(r[7]) for r in rows], top)
        peak = np.unravel_index(np.nanargmax(m), m.shape)
        assert tuple(int(v) for v in rows[0][1:4]) == tuple(int(p) for p in peak)
        mm = affine @ np.array([*peak, 1.0])
        assert [float(v) for v in rows[0][4:7]] == list(mm[:3])
    # The picture says what it shows (its alt text is its subtitle).
    alts = re.findall(r'<img alt="([^"]*)"', page.read_text())
    peak = np.unravel_index(np.nanargmax(maps["planted"]), shape)
    value = f"{maps['planted'][peak]:.3f}".rstrip("0").rstrip(".")
    assert f"peak {value} at voxel ({peak[0]}, {peak[1]}, {peak[2]})" in alts[0]
    assert tables["searchlight_outputs.csv"][1][0][0] == "planted"
    # `repscope report maps/` shows the written maps the same way.
    run_cli("--quiet", "report", tmp_path / "maps", "-o", tmp_path / "maps.html", check=0)
    from_files = page_tables(tmp_path / "maps.html")
    for name in maps:
        header, rows = from_files[f"{name}_peaks.csv"]
        want = tables[f"{name}_peaks.csv"][1]
        assert [r[:7] for r in rows] == [r[:7] for r in want]
        np.testing.assert_allclose(numbers(rows, 7), numbers(want, 7), rtol=1e-6)
    assert len(re.findall(r'<img alt="', (tmp_path / "maps.html").read_text())) == 2
    # From Python: the written map (a nibabel image, in mm) and the array
    # (voxel indices) show the same slices and peaks.
    py_page = rs.report({"from the file": nib.load(tmp_path / "maps" / "planted.nii.gz"),
                         "from the array": maps["planted"]}, tmp_path / "python.html")
    from_file, from_array = page_tables(py_page).values()
    cli_rows = tables["planted_peaks.csv"][1]
    # (the file's values within an ulp: nibabel's get_fdata scales them)
    assert [r[:7] for r in from_file[1]] == [r[:7] for r in cli_rows]
    np.testing.assert_allclose(numbers(from_file[1], 7), numbers(cli_rows, 7), rtol=1e-15)
    planted = maps["planted"]
    top = np.sort(planted[np.isfinite(planted)])[::-1][:10]
    np.testing.assert_array_equal(numbers(from_array[1], 7)[:, 0], top)
    for r in from_array[1]:
        assert planted[int(r[1]), int(r[2]), int(r[3])] == float(r[7])
    assert [float(v) for v in from_array[1][0][4:7]] == [float(p) for p in peak]
    assert len(re.findall(r'<img alt="', py_page.read_text())) == 2
    with pytest.raises(rs.Error, match="no finite value"):
        rs.report({"empty": np.full((3, 3, 3), np.nan)}, tmp_path / "empty.html")
    assert not (tmp_path / "empty.html").exists()
    opens_cleanly(browser, page)
    images = browser.evaluate("""Array.from(document.querySelectorAll('section[data-kind="maps"] img'))
        .map(i => [i.complete, i.naturalWidth, i.naturalHeight])""")
    assert len(images) == 2 and all(done and w > 300 and h > 150 for done, w, h in images)
    shot = browser.screenshot(full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "searchlight-report.png").write_bytes(shot)
    from PIL import Image
    import io

    assert np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float).std() > 20
