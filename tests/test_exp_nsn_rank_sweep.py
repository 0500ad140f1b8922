"""The nsn_rank_sweep experiment through papermill at a tiny scale.

metrics.json against recorded values (see conftest.run_experiment)."""

from conftest import run_experiment, positive_finite


def test_nsn_rank_sweep_tiny(tmp_path):
    "SmolLM2's first MLP (3 layers) as NSN, windows of 32 tokens, the smoke's 3 training steps."
    run = run_experiment(
        tmp_path, 'nsn_rank_sweep', omp_threads=1, threads=1, seq_len=32, modules=r'model\.layers\.0\.mlp\.'
    )
    m, c = run['metrics'], run['config']
    assert {'nsn_rank_sweep.csv', 'nsn_rank_sweep.png'} <= run['files']
    # smoke: checkpoints=False
    runs = tmp_path / 'run' / 'runs'
    assert not list(runs.rglob('checkpoints')) and not list(runs.rglob('best'))
    # shapes and ranks: 576 -> 1536 -> 576 MLP layers; r* = mn/(m+n); the rank at half the layers' FLOPs
    assert (m['layers'], m['max_rank'], m['rank_at_half_flops']) == (3, 576, 209) and abs(
        m['break_even_rank'] - 576 * 1536 / (576 + 1536)
    ) < 1e-9
    assert c['ranks'] == [64, 209, 418, 576] and (c['steps'], c['batch_size'], c['eval_windows']) == (3, 2, 2)
    # perplexities and loss, recorded by running this command twice (bit-identical on this CPU, 2 threads, fixed
    # seed); the test now runs the kernel on 1 thread (2 OpenMP threads spun against the other xdist worker: 290 s)
    # and agrees within the tolerance.
    # 1e-4 relative leaves room for another BLAS's float32 summation order; what the test must catch moves them by far
    # more (3 training steps already cut the rank-209 perplexity 4x).
    rec = {
        'dense_ppl': 162.61258836635207,
        'ppl_at_half_before': 21735.33021181336,
        'ppl_at_half_after': 5702.382276708265,
        'final_train_loss': 20.856019973754883,
    }
    # after the 3 AdamW steps the CPU matters more: Adam divides by sqrt(v) ~ |g|, so rounding-level gradient
    # differences move tiny-gradient weights by up to lr each. On an Intel AVX512 machine ppl_at_half_after came out
    # 1.75e-4 below this AMD record (5701.38 vs 5702.38); 1e-3 covers that and is still 1000x finer than the 4x cut.
    trained = ('ppl_at_half_after', 'final_train_loss')
    for k, v in rec.items():
        assert abs(m[k] - v) <= (1e-3 if k in trained else 1e-4) * v, (k, m[k], v)
    assert abs(m['ratio_at_half_after'] - m['ppl_at_half_after'] / m['dense_ppl']) < 1e-9 and m['target_met'] is False
    assert positive_finite(m['train_seconds'], m['sweep_seconds'], m['total_seconds'])
