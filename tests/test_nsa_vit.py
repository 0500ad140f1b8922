"""NSA-ViT command-line tools end to end on a CIFAR-10 slice: train_teacher -> train -> evaluate -> sweep (offline,
papermill); and on a Tiny-ImageNet slice."""

import json, os, subprocess, sys

import pytest
from conftest import BIN, ROOT

TINY = [
    '--teacher_model',
    'vit_tiny_patch16_224',
    '--embed_dim',
    '32',
    '--depth',
    '2',
    '--num_heads',
    '2',
    '--train_subset',
    '256',
    '--valid_subset',
    '256',
    '--batch_size',
    '64',
    '--epochs',
    '1',
    '--device',
    'cpu',
]


def cli(module, *args, timeout=300):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    r = subprocess.run(
        [sys.executable, '-m', f'lowrank_nb.nsa_vit.{module}', *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return r


def train_teacher(out, *flags):
    "Run the train_teacher tool into `out`; returns the teacher checkpoint (checked: it succeeded and wrote its files)."
    r = cli('train_teacher', *flags, '--out_dir', out)
    assert r.returncode == 0, r.stderr[-3000:]
    assert {'teacher_best.safetensors', 'teacher_best.yaml'} <= {p.name for p in out.iterdir()}
    # the teacher's run record sits in its own sub-folder, so that `train` into the same folder keeps it
    run = json.loads((out / 'teacher' / 'metrics.json').read_text())
    assert run['status'] == 'finished' and run['metrics']['device'] == 'cpu'
    return out / 'teacher_best.safetensors'


@pytest.fixture(scope='module')
def teacher(tmp_path_factory):
    return train_teacher(tmp_path_factory.mktemp('teacher'), *TINY)


def test_train_evaluate(teacher, tmp_path):
    out = tmp_path / 'student'
    r = cli(
        'train',
        '--config',
        ROOT / 'configs' / 'nsa_vit' / 'default.yaml',
        *TINY,
        '--teacher_checkpoint',
        teacher,
        '--out_dir',
        out,
        '--rank_selection_method',
        'fixed_ratio',
        '--fixed_rank_ratio',
        '0.25',
        '--per_head_svd',
        'true',
        '--kd_metric',
        'wasserstein',
    )
    assert r.returncode == 0, r.stderr[-3000:]
    run = json.loads((out / 'metrics.json').read_text())
    m = run['metrics']
    assert (
        run['status'] == 'finished' and run['config']['kd_metric'] == 'wasserstein' and run['config']['lr'] == 5e-5
    )  # from the YAML
    assert (
        m['student_params'] < m['teacher_params']
        and abs(m['compression_ratio'] - m['teacher_params'] / m['student_params']) < 1e-9
    )
    assert 0 < m['param_savings_pct'] < 100 and 0 < m['flop_reduction_pct'] < 100 and m['steps'] == 4
    for k in ('teacher_top1', 'svd_top1', 'student_top1', 'teacher_flops', 'student_flops'):
        assert k in m
    r = cli('evaluate', '--checkpoint', out / 'best.safetensors', '--dataset', 'cifar10', '--subset', '256')
    assert r.returncode == 0, r.stderr[-3000:]
    ev = json.loads((out / 'best_eval.json').read_text())
    assert ev['images'] == 256 and abs(ev['top1'] - m['student_top1']) < 1e-6  # the same slice as the run's validation
    assert (
        len(ev['per_class']) == 10 and sum(map(sum, ev['confusion'])) == 256 and (out / 'best_confusion.png').is_file()
    )


def test_bad_input(teacher, tmp_path):
    r = cli('evaluate', '--checkpoint', teacher, '--dataset', 'cifar100')
    assert r.returncode == 2 and 'CIFAR-100 not found' in r.stderr and 'Traceback' not in r.stderr
    r = cli('evaluate', '--checkpoint', teacher, '--dataset', 'tiny-imagenet')
    assert r.returncode == 2 and 'cannot evaluate it on' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path / 't.yaml').write_text(
        (teacher.with_suffix('.yaml')).read_text().replace('embed_dim: 32', 'embed_dim: 64')
    )
    (tmp_path / 't.safetensors').write_bytes(teacher.read_bytes())
    r = cli('evaluate', '--checkpoint', tmp_path / 't.safetensors')
    assert r.returncode == 2 and 'does not match' in r.stderr
    r = cli('train', *TINY, '--teacher_checkpoint', teacher, '--kd_metric', 'emd')
    assert r.returncode == 2 and "kd_metric must be one of ('kl', 'wasserstein'), got 'emd'" in r.stderr


def test_sweep_offline(teacher, tmp_path):
    env_mode = os.environ.get('WANDB_MODE')
    assert env_mode in ('disabled', 'offline')  # conftest: wandb is never online in tests, so the sweep runs papermill
    r = cli(
        'sweep',
        '--teacher_checkpoint',
        teacher,
        '--grid',
        'fixed_rank_ratio=0.5,0.25',
        '--out_dir',
        tmp_path / 'sw',
        '--',
        *TINY,
        '--rank_selection_method',
        'fixed_ratio',
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    import pandas as pd

    df = pd.read_csv(tmp_path / 'sw' / 'sweep.csv')
    assert list(df.fixed_rank_ratio) == [0.5, 0.25] and list(df.status) == ['finished', 'finished']
    assert df.student_params.iloc[0] > df.student_params.iloc[1]
    m = tmp_path / 'sw' / 'runs' / 'fixed_rank_ratio=0.25' / 'metrics.json'
    assert m.is_file()
    t = m.stat().st_mtime_ns
    # the shared sweep runner resumes: a second call finds both points finished and runs nothing
    r = cli(
        'sweep',
        '--teacher_checkpoint',
        teacher,
        '--grid',
        'fixed_rank_ratio=0.5,0.25',
        '--out_dir',
        tmp_path / 'sw',
        '--',
        *TINY,
        '--rank_selection_method',
        'fixed_ratio',
        timeout=600,
    )
    assert r.returncode == 0 and m.stat().st_mtime_ns == t, r.stderr[-3000:]


def test_tiny_imagenet(tmp_path):
    """Tiny-ImageNet through the three tools: 64x64 images (img_size from the data set), 200 classes, the data set
    kept with each checkpoint."""
    flags = [*TINY, '--dataset', 'tiny-imagenet', '--patch_size', '16']
    teacher = train_teacher(tmp_path / 'teacher', *flags)
    assert 'img_size: 64' in teacher.with_suffix('.yaml').read_text()
    out = tmp_path / 'student'
    r = cli(
        'train', *flags, '--teacher_checkpoint', teacher, '--out_dir', out, '--rank_selection_method', 'fixed_ratio'
    )
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((out / 'metrics.json').read_text())['metrics']
    assert m['steps'] == 4 and m['student_params'] < m['teacher_params']
    # the data set is the checkpoint's
    r = cli('evaluate', '--checkpoint', out / 'best.safetensors', '--subset', '256')
    assert r.returncode == 0, r.stderr[-3000:]
    ev = json.loads((out / 'best_eval.json').read_text())
    assert ev['dataset'] == 'tiny-imagenet' and ev['images'] == 256 and abs(ev['top1'] - m['student_top1']) < 1e-6
    assert len(ev['per_class']) == 200 and len(ev['confusion']) == 200 and (out / 'best_confusion.png').is_file()
    # refusing this checkpoint on cifar10 is asserted in nbs/22_nsa_pipeline.ipynb
    # (one CLI start here costs ~10 s of imports)
