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


def test_python_example_runs():
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.metrics().k_achieved >= 50
    assert len(namespace["anonymizer"].transform(namespace["test"])) == 16281
