"The nsa_vit experiment through papermill at a tiny scale: metrics.json against recorded values (see conftest.run_experiment)."

import math
from conftest import run_experiment, positive_finite


def test_nsa_vit_tiny(tmp_path):
    "Teacher 1 epoch and each student 1 epoch on 256 images (4 steps each), scored on 128: the pipeline, not the targets."
    run = run_experiment(
        tmp_path, 'nsa_vit', teacher_epochs=1, train_images=256, valid_images=128, work_dir=tmp_path / 'work'
    )
    m, c = run['metrics'], run['config']
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
    # trained quantities, recorded by running this command twice (bit-identical on this CPU, one thread, fixed seeds).
    # The energy-threshold ranks depend on the trained teacher's spectrum; accuracies are counts out of 128 images,
    # so the tolerance is one image (1/128): another BLAS may flip one borderline argmax, a real change moves more.
    for k, v in {
        'compression_ratio_energy_080': 1.2101633691815121,
        'param_savings_pct_energy_080': 17.366528729394204,
        'compression_ratio_energy_095': 1.0,
    }.items():
        assert abs(m[k] - v) < 1e-6 * v, (k, m[k], v)
    rec = {
        'teacher_top1': 0.09375,
        'teacher_top5': 0.65625,
        'svd_only_top1': 0.1484375,
        'ce_top1': 0.15625,
        'nsa_top1': 0.15625,
        'nsa_minus_null_top1': 0.15625,
        'nsa_minus_attn_top1': 0.15625,
        'nsa_minus_kd_top1': 0.15625,
        'nsa_minus_orth_top1': 0.15625,
        'svd_top1_energy_080': 0.125,
        'svd_top1_fixed_050': 0.109375,
        'student_top1_fixed_050': 0.1484375,
        'student_top1_fixed_025': 0.15625,
    }
    for k, v in rec.items():
        assert abs(m[k] - v) <= 1 / 128 + 1e-9, (k, m[k], v)
    assert positive_finite(m['bench_plain_img_s'], m['bench_nsa_img_s']) and math.isfinite(m['bench_overhead_pct'])
    assert all(
        isinstance(m[k], bool)
        for k in ('target_nsa_within_1pp_of_teacher', 'target_nsa_2pp_above_ce', 'target_overhead_at_most_30pct')
    )
