"""nbs/experiments/nsn_whitened.ipynb through papermill on a tiny slice of SmolLM2-135M.

metrics.json against recorded values."""

import math

from conftest import run_experiment

# two layers (block 0's gate and up projections, 1536x576), one 32-token window each for calibration, training and
# evaluation, one multi-rank step of two ranks: the whole pipeline (calibrate, whiten, both inits, plain truncation,
# train, sweep) in ~70 s of CPU
TINY = dict(
    modules=r'\.layers\.0\.mlp\.(gate|up)_proj',
    steps=1,
    batch_size=1,
    eval_windows=1,
    calib_windows=1,
    ranks_per_step=2,
    seq_len=32,
)
# Recorded on the 2-core AMD EPYC machine (torch 2.14.1 CPU, 1 thread), commit 421cded+. Tolerances: perplexities
# before training come from float32 inference on weights cut from float64 SVDs: BLAS summation order elsewhere moves
# them ~1e-5 relative, 1e-3 is ample and still 100x finer than any difference tested. After one AdamW step: Adam
# divides by sqrt(v) ~ |g|, so rounding-level gradient differences can move tiny-gradient weights by up to lr each;
# 1e-2 relative covers that and stays far below the whitened/raw gaps (>5x).
BEFORE = dict(
    ppl_raw_before=[151773.00962374482, 9462.885747807813, 357.6958239914156],
    ppl_whitened_before=[1860.106872072861, 428.19962870173043, 357.6961761209519],
)
AFTER = dict(
    ppl_raw_after=[7728.866100558929, 2510.183702934843, 283.72677935175034],
    ppl_whitened_after=[1297.5952453325108, 271.54702498039774, 220.6473203146455],
)
DENSE_PPL = 357.6961761209519


def close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


def test_nsn_whitened_tiny(tmp_path):
    out = tmp_path / 'run'
    # papermill at smoke with TINY; status finished, config.yaml written
    run = run_experiment(tmp_path, 'nsn_whitened', **TINY)
    assert {'nsn_whitened.png', 'nsn_whitened.csv', 'summary.md', 'metrics.json'} <= run['files']
    m, cfg = run['metrics'], run['config']
    assert run['status'] == 'finished' and cfg['modules'] == TINY['modules'] and cfg['steps'] == 1
    # deterministic: layer count, ranks, FLOP fractions (r (m + n) / mn of two 1536x576 layers), calibration rows
    assert (m['layers'], m['max_rank'], m['rank_at_half_flops'], cfg['ranks']) == (2, 576, 209, [64, 209, 576])
    assert (
        m['flop_fractions'] == [64 * 2112 / 884736, 209 * 2112 / 884736, 576 * 2112 / 884736]
        and m['flop_fraction_at_half'] == 209 * 2112 / 884736
    )
    assert m['break_even_rank'] == 1536 * 576 / 2112 and m['calib_rows'] == 32 and m['cholesky_layers'] == 2
    assert close(m['dense_ppl'], DENSE_PPL, 1e-3)
    for k, v in BEFORE.items():
        assert all(close(a, b, 1e-3) for a, b in zip(m[k], v)), (k, m[k], v)
    for k, v in AFTER.items():
        assert all(close(a, b, 1e-2) for a, b in zip(m[k], v)), (k, m[k], v)
    # the NSN prefix is the whitened truncation
    assert all(close(a, b, 1e-4) for a, b in zip(m['ppl_truncation'], m['ppl_whitened_before']))
    # the point of the experiment: whitened init beats raw at every rank below full
    for when in ('before', 'after'):
        assert all(w < r for w, r in zip(m[f'ppl_whitened_{when}'][:-1], m[f'ppl_raw_{when}'][:-1])), when
    assert m['target_met'] == (m['ratio_at_half_whitened_after'] <= 1.25)
    assert 'missed' in (out / 'summary.md').read_text() or m['target_met']


def finite_ci(v, n):
    lo, hi = v['ci95']
    return v['n_seeds'] == n == len(v['values']) and math.isfinite(lo) and math.isfinite(hi) and lo <= v['mean'] <= hi


def test_nsn_whitened_medium_tiny(tmp_path):
    # the medium path (test split cut into fit / evaluation halves, no raw arm, MLP-only training, one training per
    # seed, mean_ci / paired_diff per rank) on TINY's two layers, 2 seeds of 2 steps x 3 ranks (the middle rank drawn
    # per seed, so the seeds differ), one thread
    run = run_experiment(
        tmp_path, 'nsn_whitened', scale='medium', seeds='0,1', threads=1, **(TINY | dict(steps=2, ranks_per_step=3))
    )
    assert {'nsn_whitened.png', 'nsn_whitened_train.png', 'summary.md', 'metrics.json'} <= run['files']
    m, cfg = run['metrics'], run['config']
    assert run['status'] == 'finished' and m['scale'] == 'medium' and m['seeds'] == [0, 1] == cfg['seeds']
    assert cfg['calib_data'] == cfg['train_data'] and cfg['calib_data'].startswith(
        'wikitext-2/wiki.test.tokens, tokens [0,'
    )
    assert (
        cfg['eval_data'].startswith('wikitext-2/wiki.test.tokens, tokens [') and cfg['eval_data'] != cfg['train_data']
    )
    # medium ranks: the sampler's range [64, R], 6 of them; no raw arm
    assert (
        cfg['ranks'] == [64, 128, 209, 320, 448, 576] and 'ppl_raw_before' not in m and m['rank_at_half_flops'] == 209
    )
    v, d = m['variants'], m['diffs']
    assert set(v) == {'nsn_before', 'nsn_after', 'whitened_truncation'} and all(finite_ci(x, 2) for x in v.values())
    assert {'nsn_after - whitened_truncation', 'nsn_after - nsn_before'} <= set(d)
    assert all(finite_ci(x, 2) for x in d.values())
    diff = d['nsn_after - whitened_truncation']
    assert close(diff['mean'], v['nsn_after']['mean'] - v['whitened_truncation']['mean'], 1e-9)
    assert close(v['nsn_before']['mean'], v['whitened_truncation']['mean'], 1e-4)  # the NSN prefix is the truncation
    assert set(m['variants_by_rank']) == {str(r) for r in cfg['ranks']}
    assert all(finite_ci(x['diff'], 2) for x in m['variants_by_rank'].values())
    assert set(m['train_loss_quarters']) == {'whitened NSN, seed 0', 'whitened NSN, seed 1'}
    assert set(m['ppl_whitened_after_by_seed']) == {'0', '1'} and len(m['train_loss_late_change']) == 2
    assert 'ppl' in (tmp_path / 'run' / 'summary.md').read_text()
    assert all((tmp_path / 'run' / 'train' / f'whitened_s{s}' / 'history.json').is_file() for s in (0, 1))
