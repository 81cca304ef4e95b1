"""``python -m skprune``: a command line, and a seeded table for every pruner."""

import io
import re
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from skprune._demo import main
from skprune._optional import TORCH_INSTALL_COMMAND, torch_extra_installed

# A figure with a time unit: seconds ("0.12 s"), or a ratio of times ("4.8x",
# "~1x", "0.05x fit"). Only these may differ between two runs.
TIMED_FIGURE = re.compile(r"~?\d+(?:\.\d+)?(?: s\b|x\b)")


def run_demo(*argv):
    """The demo's output for the command line ``argv``."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def mask_timed_figures(text):
    """``text`` with its timed figures masked, and the table padding (which
    follows the width of the cells, timed ones included) reduced to one space."""
    masked = TIMED_FIGURE.sub("<timed>", text)
    return " ".join(re.sub("-{2,}", "--", masked).split())


@pytest.fixture(scope="module")
def quick_tree_svm():
    """Two quick runs of the cheapest families (the tree's "auto" and the SVM
    are the seeded pruners), one timing round each."""
    return [run_demo("tree", "svm", "--quick", "--rounds", "1") for _ in range(2)]


def test_mask_catches_every_unit():
    text = "pruned in 0.003 s; 12.0 s; 4.8x  ~1x; 0.05x fit; 0.843 -> 0.815; 136 -> 28"
    assert mask_timed_figures(text) == (
        "pruned in <timed>; <timed>; <timed> <timed>; <timed> fit; "
        "0.843 -> 0.815; 136 -> 28"
    )


def test_mask_ignores_the_padding_a_timed_cell_moves():
    narrow = "a     b\n-----  -\n9.3x  c\n"
    wide = "a      b\n------  -\n18.2x  c\n"
    assert mask_timed_figures(narrow) == mask_timed_figures(wide)


def test_demo_repeats_itself_but_for_timed_figures(quick_tree_svm):
    first, second = quick_tree_svm
    # The runs do contain timed figures, and the rest is not empty.
    assert TIMED_FIGURE.search(first) and TIMED_FIGURE.search(second)
    assert mask_timed_figures(first) == mask_timed_figures(second)
    # The cross-validated "auto" is seeded: the same leaves every run.
    assert "auto        136 -> 63 " in first


def test_demo_svm_section_shows_the_pruners_own_predict(quick_tree_svm):
    out = quick_tree_svm[0]
    lines = out.splitlines()
    header = next(line for line in lines if "SVMPruner.predict" in line)
    assert "estimator_ (libsvm)" in header
    column = header.index("speed-up: SVMPruner.predict")
    rows = [line for line in lines if line.startswith("eliminate ")]
    assert len(rows) == 2
    for row in rows:
        assert re.fullmatch(r"~?\d+(\.\d+)?x", row[column:].strip())
    # At rate 0 estimator_ is the unpruned SVC: not timed against itself.
    assert "same model" in rows[0]


def test_demo_marks_and_explains_a_loss(quick_tree_svm):
    out = quick_tree_svm[0]
    # reduced_error "auto" loses over a point on digits: marked, and why.
    assert re.search(r"reduced_error +auto .*-> 0\.\d{3} \*", out)
    assert "* reduced_error: it decides each collapse" in out
    # The SVM rows lose less than a point: no mark, no note.
    assert "* eliminate:" not in out


def test_demo_runs_a_family_named_twice_once():
    out = run_demo("tree", "tree", "--quick", "--rounds", "1")
    assert out.count("TreePruner(") == 1
    assert "SVMPruner(" not in out and "MLPPruner(" not in out


def test_demo_header_says_what_was_timed():
    # The header is wrapped: compare its words.
    out = " ".join(run_demo("tree", "--quick", "--rounds", "2").split())
    assert "the fastest of 2 rounds of 3 calls" in out
    assert "one run of the pruner's fit, in fits of the unpruned model" in out


def test_demo_help_exits_without_running():
    result = subprocess.run(
        [sys.executable, "-m", "skprune", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert "usage: python -m skprune" in result.stdout
    assert "--quick" in result.stdout and "--rounds" in result.stdout
    assert "TreePruner(" not in result.stdout


def test_demo_without_torch_points_to_the_extra(capsys, monkeypatch):
    monkeypatch.setattr("skprune._demo.torch_extra_installed", lambda: False)
    assert main(["cnn"]) == 2
    assert TORCH_INSTALL_COMMAND in capsys.readouterr().err


@pytest.mark.skipif(not torch_extra_installed(), reason="needs the torch extra")
def test_demo_cnn_section():
    out = run_demo("cnn", "--quick", "--rounds", "1")
    # DigitsCNN's two convolutions have 32 + 64 filters; 75% of them go.
    assert re.search(r"filter +0\.75 +96 -> 24 ", out)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["forests"], "unknown family 'forests'"),
        (["--rounds", "0"], "--rounds must be at least 1"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_demo_refuses_bad_arguments(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
