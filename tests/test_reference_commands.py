"""Every command of the NSA-ViT, Linear-ViT, NSN and PREHAB-SVD reference documents, with our module prefix, runs at a
tiny scale: the rows of each method's `reference.REFERENCE_COMMANDS` (`lowrank_nb.nsa_vit`, `.linear_vit`, `.nsn`,
`.prehab`; the same lists the docs page "From the reference commands" renders). This file checks the lists; each
method's rows run in tests/test_reference_<method>.py (one file per method, so the parallel workers share them). Each
row's tiny form runs in its own empty folder; the test checks its exit code, the files it leaves and, for a command
that must fail here, its one stderr line. Rows a method lists as slow (`SLOW_COMMANDS`, e.g. the real SmolLM2) carry
the `alone` mark: `make pytest` runs them after the parallel tests."""

from conftest import ROOT  # noqa: F401  (sets the offline environment)

from lowrank_nb.linear_vit.reference import REFERENCE_COMMANDS as LINEAR
from lowrank_nb.nsa_vit.reference import REFERENCE_COMMANDS as NSA
from lowrank_nb.nsn.reference import REFERENCE_COMMANDS as NSN
from lowrank_nb.prehab.reference import REFERENCE_COMMANDS as PREHAB


def test_lists_are_whole():
    lists = dict(nsa_vit=NSA, linear_vit=LINEAR, nsn=NSN, prehab=PREHAB)
    assert all(lists.values()), [k for k, v in lists.items() if not v]
    rows = [c.ours for v in lists.values() for c in v]
    assert len(set(rows)) == len(rows), 'two rows with the same command'
