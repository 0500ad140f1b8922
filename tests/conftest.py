"Shared set-up for tests/: offline everywhere, the project root, and the project's console tools."

import glob, json, math, os, shutil, socket, subprocess, sys
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ['WANDB_MODE'] = 'disabled'
# Triton's CPU interpreter, set before anything imports triton: tests/test_linear_attention.py runs the kernels
# through it, and a worker that imported triton first (e.g. via accelerate) without it cannot run them
os.environ['TRITON_INTERPRET'] = '1'
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv the tests run in


@pytest.fixture(scope='session')
def root() -> Path:
    return ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def need_chromium() -> str:
    "Debian's Chromium: required in CI (.ci/run installs it); elsewhere its absence skips the browser tests."
    path = shutil.which('chromium')
    if path is None:
        if os.environ.get('CI'):
            pytest.fail('chromium is not installed (apt-get install -y chromium; .ci/run does this)')
        pytest.skip('chromium is not installed: apt-get install -y chromium')
    return path


CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]


# --- every experiment at a tiny scale ----------------------------------------------------------------------------
# Each tests/test_exp_*.py runs one experiment notebook through papermill with `-p` overrides that make it tiny,
# then checks its metrics.json: deterministic quantities (shapes, ranks, layer and row counts, FLOP ratios, svd
# calls) exactly, model-quality numbers against values recorded by running the same command, within a tolerance
# justified per test, and timings only for being positive and finite (a shared 2-core machine's timings are not
# reproducible).
def run_experiment(tmp_path, name: str, omp_threads: int | None = None, timeout: int = 900, **params) -> dict:
    """papermill `nbs/experiments/{name}.ipynb` at smoke scale with `params` (the notebook's parameters).

    Its kernel is limited to `omp_threads` OpenMP threads when given; returns metrics.json (checked: finished, config
    written) with `files`, the names written. `tmp_path` may be a test's `tmp_path` or a folder from
    `tmp_path_factory` (module-scoped fixtures that share one run)."""
    out, args = tmp_path / 'run', []
    for k, v in {'scale': 'smoke', **params}.items():
        args += ['-p', k, str(v)]
    env = {**os.environ, 'PYTHONPATH': str(ROOT)} | ({'OMP_NUM_THREADS': str(omp_threads)} if omp_threads else {})
    r = subprocess.run(
        [
            BIN / 'papermill',
            ROOT / 'nbs' / 'experiments' / f'{name}.ipynb',
            tmp_path / 'out.ipynb',
            '-k',
            'lowrank_nb',
            '--log-level',
            'ERROR',
            '-p',
            'out_dir',
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    assert r.returncode == 0, f'papermill {name} failed:\n{r.stderr[-3000:]}'
    run = json.loads((out / 'metrics.json').read_text())
    assert run['status'] == 'finished' and (out / 'config.yaml').is_file()
    run['files'] = {p.name for p in out.iterdir()}
    return run


def tiny_vit_teacher(folder: Path) -> Path:
    """An untrained copy of `vit_teacher`'s smoke architecture (width 32, 2 blocks, 29,482 parameters) saved as the
    shared teacher is, for the medium paths' schema tests: `folder/teacher.safetensors` (+ `.yaml`). Training it (a
    papermill run of `vit_teacher`) would add half a minute to each test and nothing they check."""
    import torch
    from lowrank_nb.vit import ViTCfg, create_vit, save_vit

    arch = dict(teacher_model='vit_tiny_patch16_224', embed_dim=32, depth=2, num_heads=2, patch_size=4)
    torch.manual_seed(0)
    model = create_vit(arch['teacher_model'], **{k: v for k, v in arch.items() if k != 'teacher_model'})
    folder.mkdir(parents=True, exist_ok=True)
    return save_vit(model.eval(), folder / 'teacher.safetensors', ViTCfg(**arch, img_size=32, device='cpu'))


def positive_finite(*xs) -> bool:
    return all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0 for x in xs)


def pytest_configure(config):
    config.addinivalue_line(
        'markers',
        'alone: needs both cores to itself (a 2-process run); `make pytest` runs these after the parallel ones',
    )


# --- the reference documents' commands ---------------------------------------------------------------------------
# tests/test_reference_<method>.py run the rows of each method's `reference.REFERENCE_COMMANDS` (one file per method,
# so that `--dist loadfile` spreads them over the workers); tests/test_reference_commands.py checks the lists.
def reference_params(cmds, slow=()) -> list:
    "One pytest param per row of a reference list, named by its command; rows in `slow` carry the `alone` mark."
    return [pytest.param(c, id=c.ours, marks=[pytest.mark.alone] if c.ours in slow else []) for c in cmds]


def check_reference_command(cmd, tmp_path, monkeypatch):
    "Run a row's tiny form in the empty `tmp_path`: its exit code, the files it leaves and, if it must fail, its line."
    from lowrank_nb.reference import run_ref_command

    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    r = run_ref_command(cmd, tmp_path, timeout=600)
    log = f"$ {cmd.tiny}\n--- stdout\n{r.stdout[-2000:]}\n--- stderr\n{r.stderr[-3000:]}"
    assert r.returncode == cmd.exit_code, log
    missing = [o for o in cmd.outputs if not glob.glob(os.path.join(tmp_path, o))]
    assert not missing, f"not written: {missing}\n{log}"
    if cmd.exit_code:
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert 'Traceback' not in r.stderr, log
        # the error is one line (a `note:` line about a resolved path may come before it)
        assert any(cmd.stderr in x for x in lines), log
