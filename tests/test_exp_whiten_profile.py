"""The whiten_profile experiment through papermill at a tiny scale: metrics.json against recorded values
(see conftest.run_experiment)."""

from conftest import run_experiment, positive_finite


def test_whiten_profile_smoke(tmp_path):
    "Already small at smoke (256 sentences: fewer leave MiniLM's 1,536-wide inputs with rank-deficient moments)."
    run = run_experiment(tmp_path, 'whiten_profile')
    m = run['metrics']
    assert {
        'summary.md',
        'whiten_layers.csv',
        'whiten_errors.csv',
        'whiten_calibration.png',
        'whiten_heldout.png',
    } <= run['files']
    assert (m['layers'], m['calibration_tokens'], m['methods'], m['max_rel_jitter']) == (
        36,
        2571,
        {'cholesky': 36},
        0.0,
    )
    # float64 moments per block: 5 layers read 384 features, 1 reads 1,536
    assert m['moments_mib'] == 6 * (5 * 384**2 + 1536**2) * 8 / 2**20
    # recorded (figures/whiten_profile and two more runs): float64 moments and SVDs of the same real activations agree
    # to LAPACK rounding run to run; 1e-6 relative is far above that and far below any change of method or data
    rec = {
        'whitened_over_raw_median_0.25': 0.3471083519414827,
        'whitened_over_raw_median_0.5': 0.26292002493592936,
        'whitened_over_raw_max_0.25': 0.5448302397254896,
        'whitened_over_raw_max_0.5': 0.43972410593293637,
        'heldout_whitened_over_raw_median_0.25': 0.5366273602458447,
        'heldout_whitened_over_raw_median_0.5': 0.4799884578211576,
        'heldout_whitened_over_raw_max_0.25': 0.7939352692150837,
        'heldout_whitened_over_raw_max_0.5': 0.7564754391772684,
    }
    for k, v in rec.items():
        assert abs(m[k] - v) <= 1e-6 * v, (k, m[k], v)
    assert positive_finite(m['collect_s'], m['factor_s'], m['svd_s'], m['rss_after_svd_mib'])
