"The Linear-ViT command line (`python -m lowrank_nb.linear_vit.train`) on a few steps of real CIFAR-10."

import json, os, subprocess, sys
import pytest
from conftest import ROOT


def cli(*args, timeout=300):
    # test_linear_attention sets TRITON_INTERPRET for this process
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    env.update(OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, '-m', 'lowrank_nb.linear_vit.train', *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize('kind', ['ripple', 'hydra'])
def test_tiny_run(tmp_path, kind):
    r = cli(
        '--attention_type',
        kind,
        '--dataset',
        'cifar10',
        '--batch_size',
        '32',
        '--epochs',
        '1',
        '--lr',
        '3e-4',
        '--dim',
        '32',
        '--depth',
        '1',
        '--heads',
        '2',
        '--mlp_dim',
        '64',
        '--ripple_stages',
        '2',
        '--hydra_branches',
        '2',
        '--use_cuda_kernels',
        '--train_limit',
        '64',
        '--eval_limit',
        '64',
        '--num_workers',
        '0',
        '--trackers',
        'tensorboard',
        '--device',
        'cpu',
        '--out_dir',
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'top-1' in r.stdout
    res = json.loads((tmp_path / 'eval' / 'results.json').read_text())
    assert res['n'] == 64 and len(res['per_class']) == 10 and sum(map(sum, res['confusion'])) == 64
    assert (tmp_path / 'eval' / 'confusion.png').is_file() and list((tmp_path / 'logs').rglob('events.out.tfevents*'))
    h = json.loads((tmp_path / 'history.json').read_text())
    assert (
        h['epochs'][-1]['step'] == 2
        and h['config']['attention_type'] == kind
        and h['config']['use_cuda_kernels'] is True
    )
    # --use_cuda_kernels on a CPU: said once
    assert 'linear_attention: using the PyTorch fallback because inputs are on cpu' in r.stderr


def test_bad_flag_is_named(tmp_path):
    r = cli('--attention_type', 'performer', '--out_dir', str(tmp_path))
    assert r.returncode != 0 and "'performer' is not one of" in r.stderr
