"""linear_vit_ablations end to end through papermill at a tiny size.

metrics.json against values recorded on the project's CPU machine."""

import pytest
from conftest import run_experiment

# 4 training runs of 2 steps each (64 images, batch 32), scored on 100 images; seed 0, 1 thread.
TINY = dict(
    train_limit=64, eval_limit=100, attention_types='baseline,ripple', ripple_stages_grid='4', hydra_branches_grid='8'
)
# FLOP ratios (torch.utils.flop_counter) follow from the architectures alone: exact. Tiny-ImageNet: the smoke model
# (D 64, 2 blocks) at 64 px patch 8 (65 tokens, 200 classes); ablations: the reference-size model at 65 tokens.
FLOPS = {
    'tiny_flops_vs_baseline_baseline': 1.0,
    'tiny_flops_vs_baseline_ripple': 0.5884645849835327,
    'flops_vs_baseline_ripple_stages=4': 0.6592444633578841,
    'flops_vs_baseline_hydra_branches=8': 1.2205842991173708,
}
# top-1 on 100 images, recorded with this test's overrides (each run re-seeded, so it does not depend on the runs before
# it). Tolerance: one image
# (1/100): another BLAS may flip one borderline argmax; a broken loader, label map or training loop moves more.
TOP1 = {
    'tiny_top1_baseline': 0.02,
    'tiny_top1_ripple': 0.01,
    'top1_ripple_stages=4': 0.09,
    'top1_hydra_branches=8': 0.12,
}
TOL = 1 / 100


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    return run_experiment(
        tmp_path_factory.mktemp('linear_vit_ablations'), 'linear_vit_ablations', omp_threads=1, timeout=600, **TINY
    )


def test_files_and_counts(run):
    m, c = run['metrics'], run['config']
    assert {
        'summary.md',
        'tiny_accuracy.csv',
        'ablation_accuracy.csv',
        'claims.csv',
        'ablations_accuracy.png',
        'config.yaml',
    } <= run['files']
    assert c['kinds'] == ['baseline', 'ripple'] and c['tiny_patch'] == 8 and c['grids'] == {'ripple': [4], 'hydra': [8]}
    assert (m['runs'], m['n_eval'], c['recipe']['train_limit']) == (4, [100], 64)


def test_flop_ratios_exact(run):
    for k, v in FLOPS.items():
        assert abs(run['metrics'][k] - v) < 1e-12, (k, run['metrics'][k], v)


def test_accuracies_recorded(run):
    for k, v in TOP1.items():
        assert abs(run['metrics'][k] - v) <= TOL + 1e-9, (k, run['metrics'][k], v)
    assert all(0 <= run['metrics'][f'tiny_top5_{k}'] <= 1 for k in ('baseline', 'ripple'))
