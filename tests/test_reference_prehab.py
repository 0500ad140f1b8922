"""The PREHAB-SVD reference document's commands at a tiny scale (see tests/test_reference_commands.py)."""

import pytest
from conftest import check_reference_command, reference_params

from lowrank_nb.prehab.reference import REFERENCE_COMMANDS, SLOW_COMMANDS


@pytest.mark.parametrize('cmd', reference_params(REFERENCE_COMMANDS, SLOW_COMMANDS))
def test_reference_command(cmd, tmp_path, monkeypatch):
    check_reference_command(cmd, tmp_path, monkeypatch)
