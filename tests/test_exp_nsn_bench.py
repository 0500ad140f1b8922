"""nbs/experiments/nsn_bench.ipynb through papermill on a tiny slice of SmolLM2-135M.

metrics.json against exact and recorded values."""

import math
from conftest import run_experiment

# two NSN layers (block 0's gate and up projections, 1536x576), a 16-token forward pass, 2 generated tokens, one
# timing round: the whole pipeline (set_rank timing and storage check, interleaved timing, perplexity per rank,
# summary, metrics) in seconds after the load
TINY = dict(modules=r'\.layers\.0\.mlp\.(gate|up)_proj', seq_len=16, new_tokens=2, repeats=1, set_rank_calls=20)
RANKS = [32, 128, 256, 418, 576]
# Recorded on the 2-core AMD EPYC machine (torch 2.14.1 CPU, 1 thread), commit 1283726. Perplexities come from
# float32 inference on weights cut from float64 SVDs: BLAS summation order moves them ~1e-5 relative; 1e-3 is ample
# and far finer than the gaps between ranks.
PPL = [31920.54296875, 15356.3173828125, 794.007568359375, 315.93292236328125, 312.7063293457031]
DENSE_PPL = 312.70648193359375


def close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


def test_nsn_bench_tiny(tmp_path):
    # papermill at smoke with TINY; status finished, config.yaml written
    run = run_experiment(tmp_path, 'nsn_bench', **TINY)
    assert {'nsn_bench.png', 'nsn_bench.csv', 'summary.md', 'metrics.json'} <= run['files']
    m, cfg = run['metrics'], run['config']
    assert (
        run['status'] == 'finished'
        and cfg['modules'] == TINY['modules']
        and cfg['seq_len'] == 16
        and cfg['new_tokens'] == 2
    )
    # deterministic: layers, ranks, FLOP fractions r (m + n) / mn of 1536x576 layers, break-even, parameter bytes
    # unchanged by set_rank
    assert (m['layers'], m['max_rank'], cfg['ranks'], m['shapes']) == (2, 576, RANKS, [[1536, 576]])
    assert m['flop_fractions'] == [r * 2112 / 884736 for r in RANKS] and m['break_even_rank'] == 1536 * 576 / 2112
    assert m['param_storage_unchanged'] and m['param_bytes_before'] == m['param_bytes_after']
    # the two NSN layers hold B [1536, 576] + A [576, 576] (+ bias none) instead of W [1536, 576]: 2*576*576 more floats
    assert m['param_bytes_before'] - m['dense_param_bytes'] == 2 * 576 * 576 * 4
    # timings: only positive and finite (shared machine)
    for k in ('set_rank_ms', 'set_rank_max_ms', 'dense_fwd_tok_s', 'dense_gen_tok_s'):
        assert 0 < m[k] < math.inf, k
    for k in ('fwd_tok_s', 'gen_tok_s', 'fwd_speedup', 'gen_speedup'):
        assert len(m[k]) == len(RANKS) and all(0 < v < math.inf for v in m[k]), k
    assert m['target_met'] == (m['set_rank_ms'] <= 1)
    # quality: full rank is the dense model (same greedy tokens, same perplexity); recorded perplexities per rank
    assert m['full_rank_same_tokens'] and close(m['ppl'][-1], m['dense_ppl'], 1e-4)
    assert close(m['dense_ppl'], DENSE_PPL, 1e-3)
    assert all(close(a, b, 1e-3) for a, b in zip(m['ppl'], PPL)), (m['ppl'], PPL)
