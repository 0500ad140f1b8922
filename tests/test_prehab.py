"The prehab command line (issue 8): help, bad options, and a tiny resumed run, as a user runs it."

import os, subprocess, sys
import pandas as pd
import pytest
from conftest import ROOT

ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'HF_HUB_OFFLINE': '1', 'WANDB_MODE': 'disabled'}


def run(*args, cwd=ROOT, module='lowrank_nb.prehab_cli'):
    return subprocess.run(
        [sys.executable, '-m', module, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
    )


def test_help_lists_stages_and_ratio_definition():
    r = run('--help')
    assert r.returncode == 0, r.stderr
    for s in ('finetune', 'whiten', 'prehab', 'svd', 'whiten_thresholds'):
        assert s in r.stdout
    r = run('svd', '--help')
    assert r.returncode == 0, r.stderr
    for opt in ('--model', '--prof_batches', '--out', '--ratios', '--source'):
        assert opt in r.stdout
    assert "parameters removed" in r.stdout


def test_the_package_module_runs_the_same_command_line():
    "`python -m lowrank_nb.prehab.cli` (the new home) and the old `lowrank_nb.prehab_cli` run one command line."
    r = run('svd', '--help', module='lowrank_nb.prehab.cli')
    assert r.returncode == 0 and r.stdout == run('svd', '--help').stdout, r.stderr
    from lowrank_nb.prehab_cli import cli, main
    from lowrank_nb.prehab.cli import prehab_command, prehab_main

    assert (cli, main) == (prehab_command, prehab_main)


def test_bad_options_are_refused(capsys, tmp_path):
    from lowrank_nb.prehab.cli import prehab_command as cli

    for argv, msg in (
        (['svd', '--model', 'gpt'], "invalid choice: 'gpt'"),
        (['svd', '--model', 'bert', '--ratios', '0.2,1.5'], 'must lie in (0, 1)'),
        (['compress', '--model', 'bert'], 'invalid choice'),
        (['svd', '--model', 'bert', '--prof_batches', 'x'], 'invalid int value'),
    ):
        with pytest.raises(SystemExit) as e:
            cli(argv)
        assert e.value.code == 2 and msg in capsys.readouterr().err, argv
    for argv, msg in (
        (
            [
                'finetune',
                '--model',
                'vit',
                '--out',
                tmp_path / 'v',
                '--depth',
                '1',
                '--embed_dim',
                '16',
                '--num_heads',
                '1',
            ],
            'needs exactly one of --checkpoint',
        ),
        (
            ['svd', '--model', 'llama', '--task', 'sst2', '--out', tmp_path / 'l'],
            '--task sst2 does not apply to --model llama',
        ),
    ):
        with pytest.raises(SystemExit) as e:
            cli([str(a) for a in argv])
        assert msg in str(e.value.code), (argv, e.value.code)


def test_tiny_run_resumes_from_its_last_stage(tmp_path):
    flags = [
        '--model',
        'bert',
        '--out',
        tmp_path,
        '--prof_batches',
        '1',
        '--batch_size',
        '4',
        '--eval_n',
        '16',
        '--ratios',
        '0.3',
        '--include',
        r'encoder\.layer\.0\.output\.dense',
        '--threads',
        '1',
    ]
    r = run('whiten', *flags)
    assert r.returncode == 1 and "stage 'finetune' has not run" in r.stderr, r.stderr
    for stage in ('finetune', 'whiten', 'whiten_thresholds'):
        r = run(stage, *flags)
        assert r.returncode == 0 and 'done ->' in r.stdout, r.stderr[-2000:]
    csv = tmp_path / 'whiten_thresholds_base.csv'
    assert csv.read_text().startswith("# compression ratio = fraction of the compressed layers' parameters removed")
    t = pd.read_csv(csv, comment='#')
    assert t.ratio.tolist() == [0.3] and 0.29 < t.removed[0] < 0.32
    r = run('whiten', *flags)
    assert r.returncode == 0 and 'already done' in r.stdout and 'skipped' in r.stdout
    # a sweep killed after some ratios resumes from its CSV: only the new ratio is measured
    (tmp_path / 'whiten_thresholds_base.done.json').unlink()
    r = run('whiten_thresholds', *flags[:-4], '--ratios', '0.3,0.5', '--include', r'encoder\.layer\.0\.output\.dense')
    assert r.returncode == 0, r.stderr[-2000:]
    t2 = pd.read_csv(csv, comment='#')
    assert t2.ratio.tolist() == [0.3, 0.5] and t2.iloc[0].equals(t.iloc[0])


def test_vit_teacher_then_sweep(tmp_path):
    "`--model vit` from the shell: train a tiny CIFAR-10 teacher, then a raw SVD sweep scored by test top-1."
    flags = [
        '--model',
        'vit',
        '--out',
        tmp_path,
        '--vit_model',
        'vit_tiny_patch16_224',
        '--embed_dim',
        '16',
        '--depth',
        '1',
        '--num_heads',
        '1',
        '--batch_size',
        '16',
        '--eval_n',
        '64',
        '--ratios',
        '0.4',
        '--lr',
        '2e-3',
        '--threads',
        '1',
    ]
    r = run('finetune', *flags, '--finetune_steps', '4')
    assert r.returncode == 0 and 'done ->' in r.stdout, r.stderr[-2000:]
    assert (tmp_path / 'finetuned.safetensors').is_file() and (tmp_path / 'finetuned.yaml').is_file()
    r = run('svd', *flags)
    assert r.returncode == 0, r.stderr[-2000:]
    csv = tmp_path / 'svd_base.csv'
    assert csv.read_text().splitlines()[1] == '# model=vit source=base space=raw layers=4 metric=cifar10_test_top1'
    t = pd.read_csv(csv, comment='#')
    assert t.ratio.tolist() == [0.4] and 0 <= t.cifar10_test_top1[0] <= 1
