"Experiment notebooks run through papermill at smoke scale; their metrics.json is checked against recorded values."

import json, subprocess
import pytest
from click.testing import CliRunner
from papermill.cli import papermill
from conftest import BIN, ROOT

NB = ROOT / 'nbs' / 'experiments' / 'minilm_spectra.ipynb'


def test_parameters_are_documented():
    out = subprocess.run([BIN / 'papermill', '--help-notebook', NB], capture_output=True, text=True, check=True).stdout
    for name in ('seed', 'out_dir', 'scale', 'include'):
        assert name in out
    assert 'regex a layer' in out  # the parameter's comment is its help


@pytest.mark.parametrize('nb', sorted((ROOT / 'nbs' / 'experiments').glob('*.ipynb')), ids=lambda p: p.stem)
def test_every_experiment_has_the_suite_parameters(nb):
    "`make run` passes out_dir and scale to every experiment; each parameter needs a comment (its --help text)."
    # papermill's own command, in this process (one start-up of papermill for the 19 notebooks, not one each)
    res = CliRunner().invoke(papermill, ['--help-notebook', str(nb)])
    assert res.exit_code == 0, res.output
    out = res.output
    for name in ('seed', 'out_dir', 'scale'):
        assert f'  {name}:' in out, (name, out)
    assert 'Parameters inferred' in out and out.count('(default') >= 3
    # papermill silently drops a parameter whose line holds a second '=' (in its comment, say): every one must be listed
    cell = next(c for c in json.loads(nb.read_text())['cells'] if 'parameters' in c['metadata'].get('tags', []))
    names = [
        l.split(':')[0].split('=')[0].strip()
        for l in ''.join(cell['source']).splitlines()
        if l.strip() and not l.lstrip().startswith('#')
    ]
    missing = [n for n in names if f'  {n}:' not in out]
    assert not missing, (
        f'{nb.name}: papermill cannot parse the parameter line(s) of {missing} (a second "=" on the line?)'
    )


def test_minilm_spectra_smoke(tmp_path):
    out = tmp_path / 'run'
    r = subprocess.run(
        [
            BIN / 'papermill',
            NB,
            tmp_path / 'out.ipynb',
            '-k',
            'lowrank_nb',
            '-p',
            'out_dir',
            str(out),
            '-p',
            'scale',
            'smoke',
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, f'papermill failed:\n{r.stderr[-3000:]}'
    # out_dir arriving where we asked proves papermill injected the parameters (nbdev_clean kept the tag)
    assert {'spectra.png', 'spectra.csv', 'spectra_by_kind.csv', 'metrics.json'} <= {p.name for p in out.iterdir()}
    # the executed notebook keeps its figure (an MPLBACKEND=Agg in the environment would silently drop it)
    cells = json.loads((tmp_path / 'out.ipynb').read_text())['cells']
    assert any('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', [])), (
        'no figure in the executed notebook'
    )
    run = json.loads((out / 'metrics.json').read_text())
    assert run['status'] == 'finished' and (out / 'config.yaml').is_file()
    m = run['metrics']
    # recorded from the real all-MiniLM-L6-v2 (float64 SVD, deterministic up to LAPACK rounding)
    assert m['layers'] == 36 and m['model_params'] == 22_713_216 and m['params_in_layers'] == 10_616_832
    assert abs(m['mean_stable_rank'] - 37.0575) < 1e-3
    assert abs(m['mean_r90_frac'] - 0.48445) < 1e-4 and abs(m['mean_r99_frac'] - 0.76317) < 1e-4
    assert (m['layers_saving_at_r90'], m['layers_saving_at_r99']) == (35, 0)
