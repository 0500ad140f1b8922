"Shared set-up for tests/: offline everywhere, the project root, and the project's console tools."
import os, shutil, socket, sys
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ['WANDB_MODE'] = 'disabled'
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv the tests run in


@pytest.fixture(scope='session')
def root() -> Path: return ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def need_chromium() -> str:
    "Debian's Chromium: required in CI (.ci/run installs it); elsewhere its absence skips the browser tests."
    path = shutil.which('chromium')
    if path is None:
        if os.environ.get('CI'): pytest.fail('chromium is not installed (apt-get install -y chromium; .ci/run does this)')
        pytest.skip('chromium is not installed: apt-get install -y chromium')
    return path


CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']
