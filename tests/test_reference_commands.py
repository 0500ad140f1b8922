"""Every command of the NSA-ViT, Linear-ViT, NSN and PREHAB-SVD reference documents, with our module prefix, at a tiny
scale: the rows of each method's `reference.REFERENCE_COMMANDS` (`lowrank_nb.nsa_vit`, `.linear_vit`, `.nsn`,
`.prehab`; the same lists the docs page "From the reference commands" renders). Each row's tiny form runs in its own
empty folder; the test checks its exit code, the files it leaves and, for a command that must fail here, its one
stderr line. Rows a method lists as slow (`SLOW_COMMANDS`, e.g. the real SmolLM2) carry the `alone` mark: `make
pytest` runs them after the parallel tests."""

import glob, os

import pytest
from conftest import ROOT  # noqa: F401  (sets the offline environment)

from lowrank_nb.reference import run_ref_command
from lowrank_nb.nsa_vit.reference import REFERENCE_COMMANDS as NSA
from lowrank_nb.prehab.reference import REFERENCE_COMMANDS as PREHAB, SLOW_COMMANDS as PREHAB_SLOW

try:
    from lowrank_nb.linear_vit.reference import REFERENCE_COMMANDS as LINEAR
except ImportError:  # the Linear-ViT list is written by its own notebook; without it only the others' rows run
    LINEAR = []
try:
    from lowrank_nb.nsn.reference import REFERENCE_COMMANDS as NSN
except ImportError:  # the NSN list is written by its own notebook; without it only the others' rows run
    NSN = []
try:
    from lowrank_nb.nsn.reference import SLOW_COMMANDS as NSN_SLOW
except ImportError:
    NSN_SLOW = ()

ALL = [*NSA, *LINEAR, *NSN, *PREHAB]
SLOW = {*PREHAB_SLOW, *NSN_SLOW}
ROWS = [pytest.param(c, id=c.ours, marks=[pytest.mark.alone] if c.ours in SLOW else []) for c in ALL]


def test_lists_are_whole():
    assert NSA, 'the NSA-ViT reference list is empty'
    assert PREHAB, 'the PREHAB-SVD reference list is empty'
    assert len({c.ours for c in ALL}) == len(ALL), 'two rows with the same command'


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
