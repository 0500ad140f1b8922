"`make gpu DRY_RUN=1`: the GPU campaign's whole code path on the CPU at tiny sizes, and its budget logic."

import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ('linear_attention', 'lowrank', 'nsa_vit', 'linear_vit', 'nsn')


def campaign(out: Path, *flags: str) -> subprocess.CompletedProcess:
    "Run `python -m lowrank_nb.gpu_campaign --dry-run --out OUT FLAGS` as `make gpu DRY_RUN=1` does."
    env = os.environ | dict(TRITON_INTERPRET='1', HF_HUB_OFFLINE='1', WANDB_MODE='disabled', OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'lowrank_nb.gpu_campaign', '--dry-run', '--out', str(out), *flags]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)


def test_dry_run_exercises_every_section(tmp_path):
    r = campaign(tmp_path / 'dry')
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / 'dry'
    for f in ('metrics.json', 'summary.md', *(f'{s}.png' for s in SECTIONS)):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    m = json.loads((out / 'metrics.json').read_text())
    assert m['status'] == 'finished'
    m = m['metrics']
    assert m['copy_bandwidth']['gb_s'] > 0
    for s in SECTIONS:
        assert m[s]['status'] in ('ran', 'partial'), (s, m[s])
        assert f'[{s}]' in r.stdout  # one progress line per section
        rows, checks = m[s]['rows'], m[s]['parity']
        assert checks and all(c['passed'] for c in checks), (s, [c for c in checks if not c['passed']])
        assert any(x['status'] == 'ok' for x in rows), s
        # every row ran or says why not
        assert all(x['status'] == 'ok' or x.get('reason') for x in rows), s
    la = [x for x in m['linear_attention']['rows'] if x['status'] == 'ok']
    # the Triton kernel ran (interpreted), every impl and mode has a timing and a bandwidth fraction
    assert {(x['impl'], x['mode']) for x in la} >= {
        (i, md) for i in ('triton', 'torch', 'naive', 'sdpa') for md in ('fwd', 'fwd+bwd')
    }
    assert all(x['of_copy_bw'] > 0 and x['speedup_vs_sdpa'] > 0 for x in la)
    assert {t['status'] for t in m['targets']} <= {'met', 'missed', 'not measured'}


def test_tiny_budget_skips_later_sections(tmp_path):
    # 2 CPU seconds: lowrank (prior 1 s) starts, linear_vit (prior 5 s) cannot
    r = campaign(tmp_path / 'b', '--budget', '2', '--sections', 'lowrank,linear_vit')
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((tmp_path / 'b' / 'metrics.json').read_text())['metrics']
    assert m['lowrank']['status'] in ('ran', 'partial')
    assert m['linear_vit']['status'] == 'skipped' and 'budget' in m['linear_vit']['reason']
    assert 'nsa_vit' not in m
    assert (tmp_path / 'b' / 'linear_vit.png').is_file() and '[linear_vit] skipped' in r.stdout


def test_bad_flags_are_one_line_and_exit_2(tmp_path):
    for flags in (['--sections', 'nope'], ['--budget', '-1'], ['--gguf', str(tmp_path / 'missing.gguf')]):
        r = campaign(tmp_path / 'x', *flags)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, (flags, r.stderr)
    assert not (tmp_path / 'x').exists()


def test_what_travels_to_the_gpu_machine_fits_64_mib():
    # the repository (tracked and untracked-not-ignored files) plus the carried wheels, if built here
    from lowrank_nb.gpu_campaign import carry_size

    c = carry_size(ROOT)
    assert c['fits'] and c['tree_mib'] > 0, c
