"""Write the README's results table from the files in ``benchmarks/results/``.

The table sits in the top-level ``README.md`` between the lines
``<!-- results:start -->`` and ``<!-- results:end -->``; every figure in it
is read from a results file, named in its row. Run from anywhere::

    python benchmarks/summary.py            # rewrite the table
    python benchmarks/summary.py --check    # exit 1, with a diff, if stale

``--results-dir`` and ``--readme`` point at other files (the tests use
copies). Only the standard library is used: the check runs in the test
suite.
"""

import argparse
import difflib
import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
START = "<!-- results:start -->"
END = "<!-- results:end -->"
HEADER = [
    "| family | what pruning buys (measured) | results file |",
    "|---|---|---|",
]


def span(values, fmt="{:.2f}"):
    """``"a"`` or ``"a to b"``: the range of ``values``, formatted."""
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return low if low == high else f"{low} to {high}"


def points(value):
    """A score difference in points (hundredths), signed."""
    return f"{100 * value:+.2f}"


def matching(rows, **fields):
    """The rows (dicts) holding every one of ``fields``."""
    return [row for row in rows if all(row[k] == v for k, v in fields.items())]


def tree_rows(read):
    tree, real = read("bench_tree.json"), read("bench_tree_real.json")
    search = tree["search"]
    ours, theirs = search["cost_complexity"], search["sklearn"]
    ratio = ours["time_s"] / theirs["time_s"]
    sets = real["real_data"]
    met = sum(row["target_met"] for row in sets)
    cpu = [100 * row["cpu_ratio_to_grid"]["auto_min"] for row in sets]
    return [
        (
            "trees",
            f"a `GridSearchCV` over {len(ours['candidates'])} prune rates takes "
            f"{ratio:.2f} of the time of scikit-learn's search over "
            f"{len(theirs['candidates'])} `ccp_alpha` values, best CV score "
            f"{ours['best_cv_score']:.4f} against {theirs['best_cv_score']:.4f} "
            f"({tree['metadata']['n_train']:,} training rows)",
            "bench_tree.json",
        ),
        (
            "trees",
            f'`prune_rate="auto"` scores within {sets[0]["target"]} of '
            f"scikit-learn's `ccp_alpha` grid search on {met} of {len(sets)} real "
            f"data sets, at {span(cpu, '{:.1f}')}% of its CPU time",
            "bench_tree_real.json",
        ),
    ]


def forest_rows(read):
    sets = read("bench_forest.json")["sets"]
    select = [s["summary"]["select_0.8"] for s in sets]
    speedups = span([r["speedup"] for r in select], "{:.1f}")
    diffs = span([100 * r["score_diff"] for r in select], "{:+.2f}")
    return [
        (
            "random forests",
            f"80% of the trees removed (ordered aggregation): {speedups}x faster "
            f"predict, {diffs} points of test score on {len(sets)} data sets",
            "bench_forest.json",
        )
    ]


def svm_rows(read):
    problems = read("bench_svm.json")["problems"]
    runs = [run for problem in problems.values() for run in problem["runs"]]
    half = matching(runs, prune_rate=0.5, refit="coef", criterion="dual_coef")
    worst = max(100 * run["score_loss"] for run in half)
    speedups = span([run["speedup"] for run in half], "{:.1f}")
    fast = {
        row["prune_rate"]: row["speedup"]["fast"]
        for row in read("bench_svm_predict.json")["rates"]
    }
    rates = (0.0, 0.5, 0.8)
    return [
        (
            "SVMs",
            f"half the support vectors removed: at most {worst:.2f} points of test "
            f"score lost, `estimator_` (libsvm) predicts {speedups}x faster on "
            f"{len(problems)} problems",
            "bench_svm.json",
        ),
        (
            "SVMs",
            "`SVMPruner.predict` (BLAS) against the unpruned `SVC.predict`: "
            + ", ".join(f"{fast[rate]:.0f}x at rate {rate:g}" for rate in rates),
            "bench_svm_predict.json",
        ),
        reduced_set_row(read("bench_svm_reduced_set.json")["results"]),
    ]


def reduced_set_row(problems, rate="0.9"):
    """The reduced set at 90% removed against Nystroem of the same size."""

    def median_loss(method):
        losses = sorted(
            100 * (p["unpruned"] - p["rates"][rate][method]["score"])
            for p in problems.values()
        )
        middle = len(losses) // 2
        return (losses[middle] + losses[~middle]) / 2, losses[-1]

    ours, worst = median_loss("reduced_set")
    nystroem, _ = median_loss("nystroem")
    # A "_tuned" problem is a data set seen before, with C tuned.
    n_sets = len({name.removesuffix("_tuned") for name in problems})
    return (
        "SVMs",
        f"{float(rate):.0%} of the support vectors removed, the rest moved and "
        f'refitted (`method="reduced_set"`): median {ours:.2f} points of '
        f"accuracy lost, at most {worst:.2f}, over {len(problems)} rows "
        f"({n_sets} data sets, C untuned and tuned); Nystroem + `LinearSVC` of "
        f"the same size: median {nystroem:.2f}",
        "bench_svm_reduced_set.json",
    )


def mlp_rows(read):
    problems = read("bench_mlp.json")["problems"]
    rows = [row for problem in problems.values() for row in problem["summary"]["rows"]]
    half = matching(rows, prune_rate=0.5, config="neuron/l2/3 rounds (default)")
    speedups = span([row["predict_speedup"] for row in half], "{:.1f}")
    changes = span([row["accuracy_change_points"] for row in half], "{:+.2f}")
    return [
        (
            "MLPs",
            f"half the hidden units removed: {speedups}x faster predict, "
            f"{changes} points of accuracy on {len(problems)} problems",
            "bench_mlp.json",
        )
    ]


def cnn_rows(read):
    summary = read("bench_cnn.json")["summary"]
    half = next(row for row in summary if row["name"] == "filter 0.5")
    return [
        (
            "CNNs",
            f"half the filters removed: {half['accuracy_change_points']:+.2f} "
            f"points of accuracy, {half['forward_speedup']:.1f}x faster forward "
            "pass on a batch",
            "bench_cnn.json",
        )
    ]


def search_rows(read):
    runs = [read(name) for name in ("bench_search.json", "bench_search_svm.json")]
    # One row per family; the SVM file, written last, wins a family both hold.
    by_family = {row["family"]: row for run in runs for row in run["families"]}
    fits = ", ".join(
        f"{row['ratios']['cached_over_base_fits']:.1f} ({family})"
        for family, row in by_family.items()
    )
    n_rates = {len(run["meta"]["rates"]) for run in runs}
    return [
        (
            "tuning",
            f"a {span(n_rates, '{}')}-rate `GridSearchCV` with `memory` costs per "
            f"fold {fits} fits of the unpruned model",
            "bench_search.json, bench_search_svm.json",
        )
    ]


ROWS = (tree_rows, forest_rows, svm_rows, mlp_rows, cnn_rows, search_rows)


def table(results_dir):
    """The Markdown table, one line per row, header included."""

    def read(name):
        return json.loads((results_dir / name).read_text())

    lines = list(HEADER)
    for rows in ROWS:
        for family, text, files in rows(read):
            names = ", ".join(f"`{name}`" for name in files.split(", "))
            lines.append(f"| {family} | {text} | {names} |")
    return lines


def with_table(readme_text, lines):
    """``readme_text`` with ``lines`` between the markers."""
    before, found, rest = readme_text.partition(START + "\n")
    middle, found_end, after = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"the README has no {START} ... {END} block")
    return before + START + "\n" + "\n".join(lines) + "\n" + END + after


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 with a diff if the README's table is stale; write nothing",
    )
    parser.add_argument("--results-dir", type=Path, default=BENCHMARKS / "results")
    parser.add_argument("--readme", type=Path, default=BENCHMARKS.parent / "README.md")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    current = args.readme.read_text()
    expected = with_table(current, table(args.results_dir))
    if not args.check:
        if expected != current:
            args.readme.write_text(expected)
        print(f"{args.readme}: results table up to date")
        return 0
    if expected == current:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(),
        expected.splitlines(),
        "README.md",
        "from the results files",
        lineterm="",
    )
    print("\n".join(diff))
    print("the README's results table is stale: run python benchmarks/summary.py")
    return 1


if __name__ == "__main__":
    sys.exit(main())
