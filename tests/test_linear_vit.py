"The Linear-ViT command lines (`python -m lowrank_nb.linear_vit.{train,evaluate,bench}`) on a few steps of real data."

import json, os, subprocess, sys
import pytest
from conftest import ROOT, free_port

# every flag the reference document passes to each command
REFERENCE_FLAGS = {
    'train': [
        '--attention_type',
        '--dataset',
        '--batch_size',
        '--epochs',
        '--lr',
        '--dim',
        '--depth',
        '--heads',
        '--use_cuda_kernels',
        '--ripple_stages',
        '--hydra_branches',
    ],
    'evaluate': ['--checkpoint', '--dataset', '--batch_size'],
    'bench': [],
}


def cli(*args, module='train', timeout=300, cwd=ROOT):
    # test_linear_attention sets TRITON_INTERPRET for this process
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    env.update(OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, '-m', f'lowrank_nb.linear_vit.{module}', *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


TINY = (
    '--dataset cifar10 --batch_size 32 --epochs 1 --lr 3e-4 --dim 32 --depth 1 --heads 2 --mlp_dim 64 '
    '--ripple_stages 2 --hydra_branches 2 --use_cuda_kernels --train_limit 64 --eval_limit 64 --num_workers 0 '
    '--trackers tensorboard --device cpu'
).split()
FOUR = ['confusion.png', 'per_class_accuracy.csv', 'results.json', 'summary.txt']


@pytest.mark.parametrize('kind', ['ripple', 'hydra'])
def test_tiny_run_then_evaluate(tmp_path, kind):
    run = tmp_path / 'checkpoints' / f'{kind}_cifar10_0'
    r = cli('--attention_type', kind, *TINY, '--out_dir', str(run))
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'top-1' in r.stdout and f"tensorboard --logdir {run / 'logs'}" in r.stdout
    res = json.loads((run / 'eval' / 'results.json').read_text())
    assert res['n'] == 64 and len(res['per_class']) == 10 and sum(map(sum, res['confusion'])) == 64
    assert sorted(p.name for p in (run / 'eval').iterdir()) == FOUR
    assert (run / 'best_model.safetensors').is_file() and (run / 'best_model.yaml').is_file()
    h = json.loads((run / 'history.json').read_text())
    assert (
        h['epochs'][-1]['step'] == 2
        and h['config']['attention_type'] == kind
        and h['config']['use_cuda_kernels'] is True
    )
    # --use_cuda_kernels on a CPU: said once
    assert 'linear_attention: using the PyTorch fallback because inputs are on cpu' in r.stderr
    # TensorBoard: the learning-rate schedule and the model graph
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    # accelerate's tracker writes into logs/<run folder's name> (its hparams into a subfolder)
    ev = EventAccumulator(str(run / 'logs' / run.name))
    ev.Reload()
    assert 'lr' in ev.Tags()['scalars'] and ev.Tags()['graph'], ev.Tags()
    # the reference's evaluate command, its .pth glob and all, on CIFAR-10
    e = cli(
        '--checkpoint',
        'checkpoints/*_cifar10_*/best_model.pth',
        '--dataset',
        'cifar10',
        '--batch_size',
        '128',
        '--eval_limit',
        '48',
        '--device',
        'cpu',
        '--num_workers',
        '0',
        module='evaluate',
        cwd=tmp_path,
    )
    assert e.returncode == 0, e.stderr[-3000:]
    assert e.stdout.startswith('Overall accuracy: top-1 ') and 'Per-class accuracy over' in e.stdout
    # the one note that the .pth was read as safetensors
    assert 'best_model.safetensors' in e.stderr and 'Traceback' not in e.stderr
    out = run / 'eval_cifar10'
    assert sorted(p.name for p in out.iterdir()) == FOUR
    assert json.loads((out / 'results.json').read_text())['n'] == 48
    assert len((out / 'per_class_accuracy.csv').read_text().splitlines()) == 11


def test_tensorboard_starts(tmp_path):
    "`.venv/bin/tensorboard --logdir <run>/logs` starts and answers HTTP (then is stopped)."
    import time, urllib.request

    logs = tmp_path / 'logs' / 'run'
    logs.mkdir(parents=True)
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(logs)) as w:
        w.add_scalar('lr', 3e-4, 1)
    port = free_port()
    proc = subprocess.Popen(
        [
            str(ROOT / '.venv' / 'bin' / 'tensorboard'),
            '--logdir',
            str(tmp_path / 'logs'),
            '--host',
            '127.0.0.1',
            '--port',
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        t0, status = time.monotonic(), None
        while time.monotonic() - t0 < 90 and status is None:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.5)
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize('module', list(REFERENCE_FLAGS))
def test_help_lists_reference_flags(module):
    r = cli('--help', module=module)
    assert r.returncode == 0, r.stderr[-2000:]
    missing = [f for f in REFERENCE_FLAGS[module] + ['--device'] if f not in r.stdout]
    assert not missing, missing
    if module == 'train':
        assert 'OUT_DIR/logs' in r.stdout and "(default: 'ripple')" in r.stdout and "(default: 'cifar100')" in r.stdout


@pytest.mark.parametrize(
    'module,args,says',
    [
        ('train', ['--attention_type', 'performer'], "'performer' is not one of"),
        ('train', ['--device', 'tpu'], 'device must be one of'),
        ('train', ['--attention_type', 'ripple'], 'cifar-100-python'),
        ('evaluate', ['--dataset', 'cifar10'], '--checkpoint is required'),
        ('evaluate', ['--checkpoint', 'nothing/best_model.pth', '--dataset', 'cifar10'], 'nothing/best_model'),
        # CIFAR-100 is absent: named before the (absent) checkpoint is looked at
        ('evaluate', ['--checkpoint', 'nothing/best_model.pth', '--dataset', 'cifar100'], 'LOWRANK_DATA'),
        ('bench', ['--tokens', 'many'], 'tokens'),
    ],
)
def test_user_errors_are_one_line(tmp_path, monkeypatch, module, args, says):
    # CIFAR-100 absent wherever the test runs: an empty data folder
    monkeypatch.setenv('LOWRANK_DATA', str(tmp_path))
    if 'cifar10' in args:
        monkeypatch.delenv('LOWRANK_DATA')
    r = cli(*args, '--out_dir', str(tmp_path / 'out'), module=module, cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert len(r.stderr.splitlines()) == 1 and says in r.stderr and 'Traceback' not in r.stderr, r.stderr


def test_bench_on_cpu():
    r = cli(
        '--batch',
        '1',
        '--heads',
        '2',
        '--tokens',
        '64',
        '--head_dim',
        '16',
        '--repeats',
        '2',
        '--device',
        'cpu',
        module='bench',
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert [s.split(':')[0] for s in r.stdout.splitlines()] == ['Naive time', 'PyTorch time', 'Speedup']
    assert 'the Triton kernel needs a GPU' in r.stderr
