"""The linear_attention_speed experiment through papermill at a tiny scale.

metrics.json against the logged times (see conftest.run_experiment)."""

from conftest import run_experiment, positive_finite


def test_linear_attention_speed_tiny(tmp_path):
    run = run_experiment(tmp_path, 'linear_attention_speed', max_tokens=257, dim=64, heads=2, timing_s=0.002)
    m, c = run['metrics'], run['config']
    assert {'summary.md', 'times.csv', 'linear_attention_speed.png'} <= run['files']
    assert c['Ns'] == [65, 257] and c['device'] == 'cpu'
    rows = run['history']  # one row per (kind, mode, N): 3 ops + 5 layers, fwd and fwd+bwd, 2 lengths
    assert len(rows) == 32 and {(r['kind'], r['mode'], r['N']) for r in rows} == {
        (k, mode, N)
        for k in ('sdpa', 'naive_linear', 'fallback', 'baseline', 'linear', 'hydra', 'bolya_hydra', 'ripple')
        for mode in ('fwd', 'fwd+bwd')
        for N in (65, 257)
    }
    assert positive_finite(*(r['ms'] for r in rows))
    ms = {(r['kind'], r['mode'], r['N']): r['ms'] for r in rows}
    for mode in ('fwd', 'fwd_bwd'):  # the summary's ratios are ratios of the logged times (no timing asserted)
        md = mode.replace('_', '+')
        for N in (65, 257):
            assert abs(m[f'{mode}_linear_speedup_over_sdpa_N{N}'] - ms['sdpa', md, N] / ms['fallback', md, N]) < 1e-9
            assert abs(m[f'{mode}_fallback_over_naive_N{N}'] - ms['fallback', md, N] / ms['naive_linear', md, N]) < 1e-9
        assert m[f'{mode}_fallback_never_slower_than_naive'] == all(
            m[f'{mode}_fallback_over_naive_N{N}'] <= 1 for N in (65, 257)
        )
        assert m[f'{mode}_linear_wins_from_577'] is True  # vacuous: no N >= 577 at this size
        assert m[f'{mode}_crossover_N'] is None or 65 <= m[f'{mode}_crossover_N'] <= 257
