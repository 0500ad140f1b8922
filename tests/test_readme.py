"""README.md is a landing page: at most 12 KB, and every Python example in it runs (offline, on a CPU, in seconds)."""

import os, re, subprocess
import pytest
from conftest import BIN, ROOT

README = ROOT / 'README.md'
BLOCKS = re.findall(r'```python\n(.*?)```', README.read_text(), re.S)


def test_readme_size():
    assert README.stat().st_size <= 12 * 1024, f'README.md is {README.stat().st_size} bytes (at most 12 KB)'


def test_readme_has_an_example_per_method():
    assert len(BLOCKS) >= 4, 'one ```python example per method (NSA-ViT, Linear-ViT, NSN, PREHAB-SVD)'


@pytest.mark.parametrize('i', range(len(BLOCKS)))
def test_readme_example_runs(i, tmp_path):
    env = os.environ | {'HF_HUB_OFFLINE': '1', 'WANDB_MODE': 'disabled', 'OMP_NUM_THREADS': '1'}
    r = subprocess.run(
        [BIN / 'python', '-c', BLOCKS[i]], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert r.returncode == 0, f'README example {i + 1} failed:\n{BLOCKS[i]}\n{r.stderr[-3000:]}'
