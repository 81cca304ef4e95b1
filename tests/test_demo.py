"""``python -m skprune``: a command line, and a table for every pruner."""

import subprocess
import sys

import pytest

from skprune._demo import main
from skprune._optional import TORCH_INSTALL_COMMAND, torch_extra_installed


def test_demo_prints_every_family(capsys):
    assert main(["--quick", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for title in ("TreePruner(", "SVMPruner(", "MLPPruner("):
        assert title in out
    # prune_rate 0 keeps every unit: the first row of the tree table says so.
    assert "136 -> 136" in out
    # A progress line per step, with its time.
    assert "cost_complexity prune_rate=0.8: prune and time ..." in out
    assert "the fastest of 3 calls each" in out
    if torch_extra_installed():
        # DigitsCNN's two convolutions have 32 + 64 filters.
        assert "ConvPruner(" in out
        assert "96 -> 48" in out
    else:
        assert TORCH_INSTALL_COMMAND in out


def test_demo_runs_chosen_families_only(capsys):
    assert main(["tree", "--quick", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "TreePruner(" in out
    assert "SVMPruner(" not in out and "MLPPruner(" not in out


def test_demo_help_exits_without_running():
    result = subprocess.run(
        [sys.executable, "-m", "skprune", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert "usage: python -m skprune" in result.stdout
    assert "TreePruner(" not in result.stdout


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
