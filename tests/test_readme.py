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
    namespace = {}
    exec(compile(python_examples()[0], "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.metrics().k_achieved >= 50
    assert len(namespace["anonymizer"].transform(namespace["test"])) == 16281


def test_pipeline_example_runs(capsys):
    namespace = {}
    exec(compile(python_examples()[1], "README.md", "exec"), namespace)
    report = namespace["report"]
    assert [(r["method"], r["k"]) for r in report["runs"]] == [("ag", 10), ("ag", 100), ("mondrian", 10),
                                                                ("mondrian", 100)]
    assert "4 4 mondrian k=100" in capsys.readouterr().out
