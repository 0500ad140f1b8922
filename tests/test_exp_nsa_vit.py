"""The nsa_vit experiment through papermill at a tiny scale: its outputs, the architecture's exact numbers and the
invariants of the variant table (the accuracies of 4 training steps are noise and are not pinned; the NSA loss
terms' effect on the student's gradients is asserted in nbs/22_nsa_pipeline.ipynb)."""

import math

import pandas as pd
from conftest import positive_finite, run_experiment, tiny_vit_teacher

VARIANTS = ('ce', 'nsa', 'nsa - null', 'nsa - attn', 'nsa - kd', 'nsa - orth')


def test_nsa_vit_tiny(tmp_path):
    "Teacher 1 epoch, each student 1 epoch on 256 images (4 steps each), scored on 128: the pipeline, not the targets."
    run = run_experiment(
        tmp_path, 'nsa_vit', teacher_epochs=1, train_images=256, valid_images=128, work_dir=tmp_path / 'work'
    )
    m, c, out = run['metrics'], run['config'], tmp_path / 'run'
    assert {'summary.md', 'results.csv', 'compression.csv', 'variants.png', 'tradeoff.png'} <= run['files']
    assert (
        c['teacher_sched']['epochs'] == 1
        and c['student_sched']['train_subset'] == 256
        and c['base']['valid_subset'] == 128
    )
    # architecture-only numbers: the width-32 2-block ViT and its fixed-ratio factorisations
    assert m['teacher_params'] == 29482 and m['bench_batch'] == 64 and m['device'] == 'cpu'
    for k, v in {
        'compression_ratio_fixed_050': 1.263261633387608,
        'param_savings_pct_fixed_050': 20.839834475273044,
        'flop_reduction_pct_fixed_050': 17.853566421561617,
        'compression_ratio_fixed_025': 2.087664636737006,
        'param_savings_pct_fixed_025': 52.09958618818262,
        'flop_reduction_pct_fixed_025': 44.63391605390403,
    }.items():
        assert abs(m[k] - v) < 1e-9, (k, m[k], v)
    # the energy-threshold ranks follow the trained teacher's spectrum (bit-identical on this CPU, one thread, fixed
    # seeds); 0.95 keeps every layer dense (above break-even), 0.80 factorises some
    for k, v in {
        'compression_ratio_energy_080': 1.2101633691815121,
        'param_savings_pct_energy_080': 17.366528729394204,
        'compression_ratio_energy_095': 1.0,
    }.items():
        assert abs(m[k] - v) < 1e-6 * v, (k, m[k], v)

    # accuracies are counts out of the 128 scored images, and top-5 is at least top-1
    accs = ['teacher_top1', 'teacher_top5', 'svd_only_top1']
    accs += [f"{v.replace(' - ', '_minus_')}_top1" for v in VARIANTS]
    for k in accs:
        assert 0 <= m[k] <= 1 and abs(128 * m[k] - round(128 * m[k])) < 1e-9, (k, m[k])
    assert m['teacher_top5'] >= m['teacher_top1']

    # the variant table: the same SVD student, each variant trained for the same 4 steps
    res = pd.read_csv(out / 'results.csv')
    assert list(res.variant) == ['svd_only', *VARIANTS]
    assert list(res.steps) == [0] + [4] * len(VARIANTS)
    assert res.student_params.nunique() == 1 and res.compression_ratio.nunique() == 1
    assert abs(res.compression_ratio[0] - m['compression_ratio_fixed_025']) < 1e-12
    assert (res.top5 >= res.top1).all()
    assert (abs(res.vs_teacher_pp - 100 * (res.top1 - m['teacher_top1'])) < 1e-9).all()

    # the compression table agrees with itself: ratio = teacher / student parameters, fewer FLOPs when factorised
    comp = pd.read_csv(out / 'compression.csv').set_index('setting')
    assert (abs(comp.teacher_params / comp.student_params - comp.compression_ratio) < 1e-9).all()
    assert (comp.student_flops <= comp.teacher_flops).all()
    assert comp.loc['energy 0.95', 'factorised'] == '0/8' and comp.loc['fixed 0.25', 'factorised'] == '8/8'
    assert comp.loc['fixed 0.25', 'student_params'] < comp.loc['fixed 0.50', 'student_params']

    assert positive_finite(m['bench_plain_img_s'], m['bench_nsa_img_s']) and math.isfinite(m['bench_overhead_pct'])
    assert all(
        isinstance(m[k], bool)
        for k in ('target_nsa_within_1pp_of_teacher', 'target_nsa_2pp_above_ce', 'target_overhead_at_most_30pct')
    )


def test_nsa_vit_medium_path_tiny(tmp_path):
    "The medium path on a tiny untrained teacher: its load, 2 seeds at two ratios, the seed statistics' schema."
    run = run_experiment(
        tmp_path,
        'nsa_vit',
        scale='medium',
        teacher_path=tiny_vit_teacher(tmp_path / 't'),
        threads=1,
        seeds='0,1',
        train_images=128,
        valid_images=64,
        work_dir=tmp_path / 'work',
    )
    m, c = run['metrics'], run['config']
    assert c['scale'] == 'medium' and c['seeds'] == [0, 1] and c['ratios'] == [0.25, 0.5] and c['keep'] == 'last'
    assert m['teacher_params'] == 29482  # the teacher passed in
    assert m['seeds'] == [0, 1]
    arms = {'svd_only', 'ce', 'nsa', 'nsa - null', 'nsa - attn', 'nsa - kd', 'nsa - orth', 'ce @0.5', 'nsa @0.5'}
    assert set(m['variants']) >= arms
    for v in m['variants'].values():
        lo, hi = v['ci95']
        assert v['n_seeds'] == 2 and len(v['values']) == 2 and lo <= v['mean'] <= hi
    assert {'nsa - ce', 'nsa - ce @0.5', 'nsa - teacher', 'nsa - (nsa - null)'} <= set(m['diffs'])
    d = m['diffs']['nsa - ce']
    nsa, ce = m['variants']['nsa']['values'], m['variants']['ce']['values']
    assert all(abs(x - (a - b)) < 1e-12 for x, a, b in zip(d['values'], nsa, ce))
    # the SVD student is the same for every seed: its score does not depend on the seed
    assert len(set(m['variants']['svd_only']['values'])) == 1
    res = pd.read_csv(tmp_path / 'run' / 'results.csv')
    assert set(res.seed) == {0, 1} and set(res.ratio) == {0.25, 0.5}
    assert (res.steps[res.variant != 'svd_only'] == 1).all()
    assert m['wall_s'] > 0
