"""``benchmarks/summary.py``: the README's results table follows the results files."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "benchmarks" / "summary.py"


def run_summary(*args, cwd):
    return subprocess.run(
        [sys.executable, str(SUMMARY), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_readme_and_results(directory):
    """Copies of the README and the JSON results files, in ``directory``."""
    results = directory / "results"
    shutil.copytree(
        ROOT / "benchmarks" / "results",
        results,
        ignore=shutil.ignore_patterns("*.png"),
    )
    readme = directory / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    return readme, results


def change_cnn_speedup(results, value):
    path = results / "bench_cnn.json"
    data = json.loads(path.read_text())
    row = next(row for row in data["summary"] if row["name"] == "filter 0.5")
    row["forward_speedup"] = value
    path.write_text(json.dumps(data))


def test_readme_table_matches_the_results_files(tmp_path):
    # From a directory outside the repository: the paths follow the script.
    result = run_summary("--check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_fails_on_a_changed_figure(tmp_path):
    readme, results = copy_readme_and_results(tmp_path)
    options = ("--check", "--results-dir", results, "--readme", readme)
    assert run_summary(*options, cwd=tmp_path).returncode == 0
    before = readme.read_text()

    change_cnn_speedup(results, 9.87)
    result = run_summary(*options, cwd=tmp_path)

    assert result.returncode == 1
    # The diff shows the figure the results file now holds.
    assert "+| CNNs |" in result.stdout
    assert "9.9x faster forward" in result.stdout
    assert readme.read_text() == before


def test_rewrite_puts_the_new_figure_in_the_table(tmp_path):
    readme, results = copy_readme_and_results(tmp_path)
    change_cnn_speedup(results, 9.87)
    paths = ("--results-dir", results, "--readme", readme)

    assert run_summary(*paths, cwd=tmp_path).returncode == 0

    text = readme.read_text()
    assert "9.9x faster forward" in text
    assert run_summary("--check", *paths, cwd=tmp_path).returncode == 0
    # Only the table changed.
    assert (
        text.split("<!-- results:start -->")[0]
        == ((ROOT / "README.md").read_text().split("<!-- results:start -->")[0])
    )


def test_readme_without_markers_is_an_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# skprune\n")
    result = run_summary("--check", "--readme", readme, cwd=tmp_path)
    assert result.returncode != 0
    assert "results:start" in result.stderr
