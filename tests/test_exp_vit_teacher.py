"""The vit_teacher experiment (the shared ViT teacher) through papermill at a tiny scale: its files, the final epoch's
weights as the teacher, and a second run that resumes from the checkpoints instead of training again."""

import json

from conftest import run_experiment


def test_vit_teacher_tiny_and_resumed(tmp_path):
    "1 epoch on 256 images scored on 128; the same command again finds the run finished and reports the same teacher."
    kw = dict(epochs=1, train_images=256, valid_images=128, work_dir=tmp_path / 'work')
    for d in 'ab':
        (tmp_path / d).mkdir()
    first = run_experiment(tmp_path / 'a', 'vit_teacher', **kw)
    m, out = first['metrics'], tmp_path / 'a' / 'run'
    assert {'teacher.safetensors', 'teacher.yaml', 'history.json', 'curve.png', 'summary.md'} <= first['files']
    # the smoke architecture: timm ViT, width 32, 2 blocks, patch 4 on 32 px images, 10 classes
    assert m['teacher_params'] == 29482 and m['epochs'] == 1 and m['n_test'] == 128
    assert m['curve'] == [m['teacher_top1']] and abs(128 * m['teacher_top1'] - round(128 * m['teacher_top1'])) < 1e-9
    lo, hi = m['teacher_top1_ci95']
    assert 0 <= lo <= m['teacher_top1'] <= hi <= 1
    assert first['config']['vit']['rotation'] == 0 and first['config']['vit']['resume'] is True
    steps = json.loads((out / 'history.json').read_text())['steps']
    second = run_experiment(tmp_path / 'b', 'vit_teacher', **kw)
    # resumed from the finished run: no step trained again, the same weights scored the same
    assert json.loads((tmp_path / 'b' / 'run' / 'history.json').read_text())['steps'] == steps
    assert second['metrics']['teacher_top1'] == m['teacher_top1']
    assert (tmp_path / 'b' / 'run' / 'teacher.safetensors').read_bytes() == (out / 'teacher.safetensors').read_bytes()
