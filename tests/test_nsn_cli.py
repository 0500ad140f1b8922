"""The NSN command-line tools through `python -m lowrank_nb.nsn_cli`.

Help, bad options, a tiny end-to-end run and the real SmolLM2."""

import json, os, subprocess, sys
from pathlib import Path

import pytest

from conftest import ROOT

TOOLS = {
    'adapt': ('--model', '--out', '--modules', '--max-rank', '--rank', '--tokenizer'),
    'train': (
        '--model',
        '--data',
        '--ranks',
        '--steps',
        '--batch-size',
        '--seq-len',
        '--lr',
        '--seed',
        '--out',
        '--resume',
    ),
    'infer': (
        '--model',
        '--tokenizer',
        '--prompt',
        '--rank',
        '--target-flops',
        '--max-new-tokens',
        '--max-rank',
        '--modules',
    ),
}


def cli(*args, timeout=300):
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': '1', 'TQDM_DISABLE': '1', 'PYTHONPATH': str(ROOT)}
    return subprocess.run(
        [sys.executable, '-m', 'lowrank_nb.nsn_cli', *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize('tool', TOOLS)
def test_help_explains_every_option(tool):
    r = cli(tool, '--help')
    assert r.returncode == 0, r.stderr
    assert f'usage: nsn-{tool}' in r.stdout
    for opt in TOOLS[tool]:
        assert opt in r.stdout, (opt, r.stdout)
    assert r.stdout.count('(default:') >= 2  # defaults are shown


def test_no_tool_is_a_usage_error():
    r = cli('frobnicate')
    assert r.returncode == 2 and 'adapt,train,infer' in r.stderr


@pytest.mark.parametrize(
    'args, msg',
    [
        (('infer', '--model', 'x', '--prompt', 'a'), 'one of the arguments --rank --target-flops is required'),
        (
            ('infer', '--model', 'x', '--prompt', 'a', '--rank', '2', '--target-flops', '0.5'),
            'not allowed with argument',
        ),
        (('infer', '--model', 'x', '--prompt', 'a', '--rank', '0'), 'expected a positive integer'),
        (('infer', '--model', 'x', '--prompt', 'a', '--target-flops', '0'), 'expected a number in (0, 1]'),
        (('infer', '--model', '/no/such/model', '--prompt', 'a', '--rank', '4'), 'no model at /no/such/model'),
        (('adapt', '--model', '/no/such/model'), 'the following arguments are required: --out'),
        (
            ('adapt', '--model', '/no/such/model', '--out', '/tmp/x', '--max-rank', 'many'),
            "expected a positive integer, got 'many'",
        ),
        (('train', '--model', '/no/such/model', '--out', '/tmp/x'), 'the following arguments are required: --steps'),
    ],
)
def test_bad_options_are_clear_usage_errors(args, msg):
    r = cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert msg in r.stderr, r.stderr


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A tiny random Llama folder with MiniLM's real tokenizer."
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    from lowrank_nb.pretrained import pretrained_path

    d = tmp_path_factory.mktemp('tiny') / 'model'
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(pretrained_path('minilm'))
    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok),
            hidden_size=32,
            intermediate_size=48,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
        )
    ).save_pretrained(d)
    tok.save_pretrained(d)
    return d


def test_adapt_train_infer_end_to_end(tiny, tmp_path):
    r = cli('adapt', '--model', tiny, '--out', tmp_path / 'nsn', '--modules', 'mlp', 'o_proj', '--max-rank', '16')
    assert r.returncode == 0, r.stderr
    assert '8 layers -> NSNLinear' in r.stderr
    layout = json.loads((tmp_path / 'nsn' / 'config.json').read_text())['lowrank_layout']
    assert len(layout) == 8 and {v['max_rank'] for v in layout.values()} == {16}
    r = cli(
        'train',
        '--model',
        tmp_path / 'nsn',
        '--data',
        'wikitext-2',
        '--ranks',
        'sandwich:3',
        '--steps',
        '3',
        '--batch-size',
        '2',
        '--seq-len',
        '32',
        '--out',
        tmp_path / 'trained',
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / 'trained' / 'train_summary.json').read_text())
    assert s['steps'] == 3 and len(s['log_vars']) == 16 and (tmp_path / 'trained' / 'config.json').is_file()
    for opt in (('--rank', '5'), ('--target-flops', '0.5')):
        r = cli('infer', '--model', tmp_path / 'trained', '--prompt', 'the history of', *opt, '--max-new-tokens', '4')
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith('the history of') and 'FLOP fraction' in r.stderr
    assert (
        'rank 5,'
        in cli('infer', '--model', tmp_path / 'trained', '--prompt', 'a', '--rank', '5', '--max-new-tokens', '1').stderr
    )
    # a plain folder is adapted on the fly; --rank above its R is refused
    r = cli('infer', '--model', tiny, '--prompt', 'a', '--rank', '17', '--max-rank', '16')
    assert r.returncode == 2 and '--rank must be in [1, 16]' in r.stderr, r.stderr


def test_real_smollm2_gguf_infer_at_half_the_flops():
    "The real SmolLM2-135M GGUF adapted on the fly (MLP, full rank), run at the rank costing <= 50% of the MLP FLOPs."
    from lowrank_nb.pretrained import pretrained_path

    r = cli(
        'infer',
        '--model',
        pretrained_path('smollm2'),
        '--prompt',
        'The capital of France is',
        '--target-flops',
        '0.5',
        '--max-new-tokens',
        '5',
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'adapted 90 layers on the fly' in r.stderr and r.stdout.startswith('The capital of France is')
    frac = float(r.stderr.split('FLOP fraction of the adapted layers ')[1].split()[0])
    assert 0.49 <= frac <= 0.5, r.stderr
