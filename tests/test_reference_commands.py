"""Every command of the NSA-ViT and Linear-ViT reference documents, with our module prefix, at a tiny scale: the rows of
`lowrank_nb.nsa_vit.reference.REFERENCE_COMMANDS` and `lowrank_nb.linear_vit.reference.REFERENCE_COMMANDS` (the
same lists the docs page "From the reference commands" renders). Each row's tiny form runs in its own empty folder;
the test checks its exit code, the files it leaves and, for a command that must fail here, its one stderr line."""

import glob, os

import pytest
from conftest import ROOT  # noqa: F401  (sets the offline environment)

from lowrank_nb.reference import run_ref_command
from lowrank_nb.nsa_vit.reference import REFERENCE_COMMANDS as NSA

try:
    from lowrank_nb.linear_vit.reference import REFERENCE_COMMANDS as LINEAR
except ImportError:  # the Linear-ViT list is written by its own notebook; without it only NSA-ViT's rows run
    LINEAR = []

ROWS = [pytest.param(c, id=c.ours) for c in [*NSA, *LINEAR]]


def test_lists_are_whole():
    assert NSA, 'the NSA-ViT reference list is empty'
    assert len({c.ours for c in [*NSA, *LINEAR]}) == len(NSA) + len(LINEAR), 'two rows with the same command'


@pytest.mark.parametrize('cmd', ROWS)
def test_reference_command(cmd, tmp_path, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    r = run_ref_command(cmd, tmp_path, timeout=600)
    log = f"$ {cmd.tiny}\n--- stdout\n{r.stdout[-2000:]}\n--- stderr\n{r.stderr[-3000:]}"
    assert r.returncode == cmd.exit_code, log
    missing = [o for o in cmd.outputs if not glob.glob(os.path.join(tmp_path, o))]
    assert not missing, f"not written: {missing}\n{log}"
    if cmd.exit_code:
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert 'Traceback' not in r.stderr, log
        # the error is one line (a `note:` line about a resolved path may come before it)
        assert any(cmd.stderr in x for x in lines), log
