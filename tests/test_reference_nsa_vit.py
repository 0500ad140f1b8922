"""The NSA-ViT reference document's commands at a tiny scale (see tests/test_reference_commands.py)."""

import pytest
from conftest import check_reference_command, reference_params

from lowrank_nb.nsa_vit.reference import REFERENCE_COMMANDS


@pytest.mark.parametrize('cmd', reference_params(REFERENCE_COMMANDS))
def test_reference_command(cmd, tmp_path, monkeypatch):
    check_reference_command(cmd, tmp_path, monkeypatch)
