"""The prehab_bench experiment through papermill at a tiny scale: metrics.json against recorded values
(see conftest.run_experiment)."""

import pandas as pd
from conftest import run_experiment, positive_finite


def test_prehab_bench_tiny(tmp_path):
    # SmolLM2's first MLP: 3 layers
    run = run_experiment(tmp_path, 'prehab_bench', include=r'model\.layers\.0\.mlp\.')
    m = run['metrics']
    assert 'whiten_layers.csv' in run['files']
    # one Cholesky whitening and exactly one torch.linalg.svd per layer; the five ratios are cut from those SVDs
    assert (m['layers'], m['svd_calls'], m['methods']) == (3, 3, {'cholesky': 3})
    # every layer's moments saw the 4 calibration windows of 512 tokens (a row per token)
    layers = pd.read_csv(tmp_path / 'run' / 'whiten_layers.csv')
    assert layers['rows'].tolist() == [4 * 512] * 3
    assert positive_finite(m['load_s'], m['whiten_s'], m['svd_s'], m['cut_five_ratios_s'], m['peak_rss_mib'])
    # the experiment's question: cutting all five ratios from the SVDs costs less than the SVDs themselves
    assert m['cut_over_svd'] < 1, (m['cut_five_ratios_s'], m['svd_s'])
