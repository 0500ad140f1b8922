"""nbs/experiments/nsn_sst2.ipynb through papermill on a tiny slice of SST-2 with MiniLM-L6.

metrics.json against exact and recorded values."""

from conftest import run_experiment

# all 12 MLP layers of MiniLM-L6 as NSN, 32 training sentences in two multi-rank steps of 16, 32 dev sentences,
# 24 tokens each
TINY = dict(train_examples=32, dev_examples=32, batch_size=16, max_length=24)
RANKS = [16, 64, 128, 307, 384]
SHAPES = [[384, 1536], [1536, 384]]
# Recorded on the 2-core AMD EPYC machine (torch 2.14.1 CPU, 1 thread), commit 1283726+. Accuracies are counts of
# 32 sentences: a logit moved by rounding flips a sentence only if it sits on the decision boundary, so they must
# match to one sentence (1/32) at most.
ACC_BEFORE = [0.625, 0.53125, 0.6875, 0.65625, 0.5625]  # the untrained random head
ACC_AFTER = [0.4375, 0.4375, 0.4375, 0.4375, 0.4375]  # two steps: one class everywhere (14 of 32 dev sentences)


def test_nsn_sst2_tiny(tmp_path):
    out = tmp_path / 'run'
    # papermill at smoke with TINY; status finished, config.yaml written
    run = run_experiment(tmp_path, 'nsn_sst2', **TINY)
    assert {'nsn_sst2.png', 'nsn_sst2.csv', 'summary.md', 'metrics.json'} <= run['files']
    m, cfg = run['metrics'], run['config']
    assert run['status'] == 'finished' and (cfg['train_examples'], cfg['dev_examples'], cfg['ranks']) == (32, 32, RANKS)
    # deterministic: 12 MLP layers (6 blocks x intermediate 384->1536 and output 1536->384), ranks,
    # FLOP fractions r (m + n) / mn
    assert (m['layers'], m['max_rank'], m['break_even_rank'], m['shapes']) == (12, 384, 1536 * 384 / 1920, SHAPES)
    assert m['flop_fractions'] == [r * 1920 / 589824 for r in RANKS] and m['train_steps'] == 2
    assert all(abs(a - b) <= 1 / 32 + 1e-12 for a, b in zip(m['acc_before'], ACC_BEFORE)), (m['acc_before'], ACC_BEFORE)
    assert all(abs(a - b) <= 1 / 32 + 1e-12 for a, b in zip(m['acc_after'], ACC_AFTER)), (m['acc_after'], ACC_AFTER)
    assert 'indicative only' in (out / 'summary.md').read_text()
