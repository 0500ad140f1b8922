"The train_bench experiment through papermill at a tiny scale: metrics.json checked (see conftest.run_experiment)."

import math
from conftest import run_experiment, positive_finite


def test_train_bench_tiny(tmp_path):
    "A 1,024-image augmented pass, 2 rounds of 4 steps: checks the bookkeeping; the timings are not asserted."
    run = run_experiment(tmp_path, 'train_bench', pass_images=1024, n_rounds=2, n_steps=4)
    m, c = run['metrics'], run['config']
    assert {'summary.md', 'train_bench.png'} <= run['files'] and not (
        tmp_path / 'run' / 'runs' / 'real' / 'checkpoints'
    ).exists()
    assert (c['rounds'], c['steps'], c['pass_images'], m['cifar10_pass_images']) == (2, 4, 1024, 1024)
    assert m['vit_params'] == 311_338  # timm ViT, width 96, depth 4, 4x4 patches, 10 classes
    assert all(len(m[k][loop]) == 2 for k in ('whole_run_s', 'steady_s') for loop in ('bare', 'learner'))
    assert positive_finite(
        m['cifar10_pass_s'],
        m['cifar10_pass_img_per_s'],
        m['learner_real_img_per_s'],
        m['bare_img_per_s'],
        m['learner_img_per_s'],
        *m['whole_run_s']['bare'],
        *m['steady_s']['learner'],
    )
    assert math.isfinite(m['loop_overhead_steady']) and math.isfinite(m['loop_overhead_whole_run'])
