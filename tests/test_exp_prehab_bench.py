"The prehab_bench experiment through papermill at a tiny scale: metrics.json against recorded values (see conftest.run_experiment)."

from conftest import run_experiment, positive_finite


def test_prehab_bench_tiny(tmp_path):
    run = run_experiment(tmp_path, 'prehab_bench', include=r'model\.layers\.0\.mlp\.')  # SmolLM2's first MLP: 3 layers
    m = run['metrics']
    assert 'whiten_layers.csv' in run['files']
    # one Cholesky whitening and exactly one torch.linalg.svd per layer; the five ratios are cut from those SVDs
    assert (m['layers'], m['svd_calls'], m['methods']) == (3, 3, {'cholesky': 3})
    assert m['calibration_tokens'] == 4 * 512 and m['torch_threads'] >= 1 and isinstance(m['within_5_min'], bool)
    assert positive_finite(
        m['load_s'], m['whiten_s'], m['svd_s'], m['end_to_end_s'], m['cut_five_ratios_s'], m['peak_rss_mib']
    )
    assert abs(m['end_to_end_s'] - m['whiten_s'] - m['svd_s']) < 1e-9 and m['peak_rss_mib'] >= m['rss_loaded_mib']
