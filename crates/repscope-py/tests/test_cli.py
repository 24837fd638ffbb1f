"""The CLI: exit codes (0 ok, 2 bad input) and one-line messages for bad inputs."""

import numpy as np
import pytest

RNG = np.random.default_rng(5)


def test_info_and_similarity_succeed(tmp_path, run_cli):
    np.savez(tmp_path / "a.npz", l1=RNG.normal(size=(30, 5)), l2=RNG.normal(size=(30, 40)))
    p = run_cli("info", tmp_path / "a.npz", check=0)
    assert "2 representation(s) over 30 stimuli" in p.stdout
    out = tmp_path / "t.csv"
    p = run_cli("similarity", tmp_path / "a.npz", "-o", out, "--plot", tmp_path / "h.svg", check=0)
    lines = out.read_text().splitlines()
    assert lines[0] == "a,b,measure,value,ci_low,ci_high,p,calibrated,threshold"
    assert lines[1].startswith("l1,l1,linear_cka,")
    assert float(lines[1].split(",")[3]) == pytest.approx(1.0, rel=1e-12)
    assert len(lines) == 1 + 4
    p = run_cli("similarity", tmp_path / "a.npz", "-o", out, "--n-boot", "50", "--n-permutations", "50",
                "--seed", "3", "--quiet", check=0)
    row = out.read_text().splitlines()[2].split(",")  # l1 vs l2
    low, high, pval = float(row[4]), float(row[5]), float(row[6])
    assert 0 <= low <= high <= 1 and 0 < pval <= 1
    p = run_cli("similarity", tmp_path / "a.npz", "--json", "--measure", "debiased_cka", check=0)
    assert '"measure":"debiased_cka"' in p.stdout


def bad_inputs(tmp_path):
    """(file to compare, expected fragment of the message)."""
    cases = []
    ok = tmp_path / "ok.npy"
    np.save(ok, RNG.normal(size=(20, 4)))

    def case(name, array, fragment, writer=np.save):
        path = tmp_path / name
        writer(path, array)
        cases.append((path, fragment))

    nan = RNG.normal(size=(20, 4))
    nan[3, 1] = np.inf
    case("short.npy", RNG.normal(size=(19, 4)), "'ok' has 20 stimuli but 'short' has 19")
    case("nan.npy", nan, "inf at row 3, column 1 of 'nan'")
    case("empty.npy", np.zeros((20, 0)), "'empty' is empty (shape 20 × 0)")
    case("flat.npy", np.zeros(20), "reshape it to (20, 1)")
    case("text.npy", np.array(["a"] * 20), "element type text (numpy '<U')")
    cut = tmp_path / "cut.npy"
    np.save(cut, RNG.normal(size=(20, 4)))
    cut.write_bytes(cut.read_bytes()[:-8])
    cases.append((cut, "truncated"))
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    cases.append((junk, "not a readable .npz"))
    cases.append((tmp_path / "missing.npy", "No such file"))
    other = tmp_path / "table.csv"
    other.write_text("1,2\n")
    cases.append((other, "unknown file type"))
    return ok, cases


def test_bad_inputs_exit_2_with_a_specific_one_line_message(tmp_path, run_cli):
    ok, cases = bad_inputs(tmp_path)
    for path, fragment in cases:
        p = run_cli("similarity", ok, path)
        assert p.returncode == 2, (path, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
        assert fragment in lines[0], (fragment, lines[0])


def test_bad_measure_and_params_exit_2(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", RNG.normal(size=(10, 3)))
    p = run_cli("similarity", tmp_path / "x.npy", "--measure", "nope")
    assert p.returncode == 2 and "unknown measure 'nope'" in p.stderr
    p = run_cli("similarity", tmp_path / "x.npy", "--param", "oops")
    assert p.returncode == 2 and "NAME=VALUE" in p.stderr
    p = run_cli("similarity")
    assert p.returncode == 2  # usage error from the argument parser


def test_failed_run_keeps_the_previous_output(tmp_path, run_cli):
    np.save(tmp_path / "a.npy", RNG.normal(size=(10, 3)))
    np.save(tmp_path / "b.npy", RNG.normal(size=(9, 3)))
    out = tmp_path / "t.csv"
    out.write_text("previous results\n")
    p = run_cli("similarity", tmp_path / "a.npy", tmp_path / "b.npy", "-o", out)
    assert p.returncode == 2
    assert out.read_text() == "previous results\n"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a.npy", "b.npy", "t.csv"]


def test_demo_runs_on_bundled_data(tmp_path, run_cli):
    p = run_cli("demo", "-o", tmp_path / "demo", check=0)
    assert "layer x layer linear_cka" in p.stdout
    for name in ["linear_cka.csv", "linear_cka.png", "debiased_cka.csv", "debiased_cka.png",
                 "topic_alignment.csv"]:
        assert (tmp_path / "demo" / name).stat().st_size > 0
    values = np.genfromtxt(tmp_path / "demo" / "linear_cka.csv", delimiter=",", skip_header=1)[:, 1:]
    assert values.shape == (7, 7)
    np.testing.assert_allclose(np.diag(values), 1.0, rtol=1e-12)
