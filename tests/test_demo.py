"""``python -m skprune`` runs and prints a table for every pruner."""

from skprune._demo import main
from skprune._optional import torch_extra_installed


def test_demo_prints_every_family(capsys):
    main()
    out = capsys.readouterr().out
    for title in ("TreePruner(", "SVMPruner(", "MLPPruner("):
        assert title in out
    # prune_rate 0 keeps every unit: the first row of the tree table says so.
    assert "136 -> 136" in out
    if torch_extra_installed():
        # DigitsCNN's two convolutions have 32 + 64 filters.
        assert "ConvPruner(" in out
        assert "96 -> 48" in out
    else:
        assert 'pip install "skprune[torch]"' in out
