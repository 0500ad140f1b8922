"""The lowrank_speed experiment through papermill at a tiny scale: metrics.json against recorded values
(see conftest.run_experiment)."""

import torch
from conftest import run_experiment, positive_finite
from lowrank_nb.lowrank import resolved_layout


def test_lowrank_speed_tiny(tmp_path):
    run = run_experiment(tmp_path, 'lowrank_speed', tokens=64, timing_s=0.002)
    m, c = run['metrics'], run['config']
    assert {'summary.md', 'speedup.csv', 'lowrank_speed.png'} <= run['files']
    # the ranks timed are floor(rho r*) of each ViT-S shape (and the target ranks aligned to 16): pure arithmetic
    assert (
        c['ranks']
        == {
            '384x384': [24, 48, 72, 96, 144, 192],
            '384x1536': [38, 64, 76, 115, 144, 153, 230, 307],
            '1536x384': [38, 64, 76, 115, 144, 153, 230, 307],
        }
        and c['min_run_time'] == 0.002
    )
    assert len(m['table']) == 22 and all(
        abs(r['rank'] * (r['m'] + r['n']) / (r['m'] * r['n']) - r['flop_ratio']) < 1e-12 for r in m['table']
    )
    t = m['targets']
    assert {k: v['rank'] for k, v in t.items()} == {
        '384x384@0.5': 96,
        '384x1536@0.5': 153,
        '1536x384@0.5': 153,
        '384x384@0.5/align16': 96,
        '384x1536@0.5/align16': 144,
        '1536x384@0.5/align16': 144,
        '384x384@0.25': 48,
        '384x1536@0.25': 76,
        '1536x384@0.25': 76,
        '384x384@0.25/align16': 48,
        '384x1536@0.25/align16': 64,
        '1536x384@0.25/align16': 64,
    }
    assert all(abs(v['ideal'] - 1 / v['flop_ratio']) < 1e-12 and positive_finite(v['speedup']) for v in t.values())
    # every row names the layout the layer took, by the one rule (resolved_layout: rank-major off the
    # multiple-of-8 grid on CPU), and has the side-by-side 'tokens' timing
    assert all(
        r['layout'] == resolved_layout(torch.zeros(1), r['rank']) and positive_finite(r['speedup_tokens_layout'])
        for r in m['table']
    )
    # the ranks timed fall on and off the multiple-of-8 grid
    assert {r['layout'] for r in m['table']} == {'rank', 'tokens'}
    assert all(positive_finite(g['kernel_bound_of_ideal'], g['first_gflops'], g['second_gflops']) for g in m['gemms'])
    assert all(
        abs(v['of_ideal'] - v['speedup'] / v['ideal']) < 1e-12 and v['meets_target'] == (v['of_ideal'] >= 0.9)
        for v in t.values()
    )
    for rho in (0.5, 0.25):  # the verdicts are the minimum over the three shapes' entries
        assert m[f'min_of_ideal_at_{rho}'] == min(v['of_ideal'] for k, v in t.items() if k.endswith(f'@{rho}'))
        assert m[f'target_met_at_{rho}'] == all(v['meets_target'] for k, v in t.items() if k.endswith(f'@{rho}'))
    assert positive_finite(*m['dense_gflops'].values())
