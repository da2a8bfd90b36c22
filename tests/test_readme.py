"""The README's promises: the Quick start block, CI running its test line, the Python example."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    block = re.search(r"## Quick start\n\n```\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(block) == 2
    assert "streamlit run app.py" in block[0] and "pytest" in block[1]
    assert README.index("## Quick start") < README.index("## What it does")
    ci = subprocess.run(["bash", str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True)
    assert ci.stdout.strip() == block[1]


def python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_python_example_runs():
    """The README's example, as written: one Analysis, its anonymization, the simulation and a DP run."""
    (example,) = python_examples()
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    anon, report = namespace["anon"], namespace["report"]
    assert anon.metrics.k_achieved >= 50 and anon.leaks.leaks == ()
    assert [(r["method"], r["k"]) for r in report["runs"]] == [("ag", 10), ("ag", 100), ("mondrian", 10),
                                                                ("mondrian", 100)]
    assert report["dp"][0]["epsilon"] == 1.0 and "test table" in report["dp"][0]["schema"]
    assert report["settings"]["holdout"] == 16281
