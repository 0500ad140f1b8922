"""The NSN quickstart round trip (issue 20) on the real SmolLM2-135M: `nsn-adapt` -> the reference's `from_pretrained`
snippet -> full-rank logits equal the saved model's -> `set_rank(model, 16)` -> generate; and a Hub id that is not in
the local cache. The tiny forms (fake Hub cache, a plain transformers session refusing the folder,
`trust_remote_code=True`) are tested in nbs/43_nsn_hf_auto.ipynb, nbs/43e_nsn_utils.ipynb and the reference commands."""

import os, subprocess, sys

import torch

from conftest import ROOT

ENV = {**os.environ, 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': '1', 'TQDM_DISABLE': '1', 'PYTHONPATH': str(ROOT)}
ADAPT = [sys.executable, '-m', 'lowrank_nb.nsn.cli.nsn_adapt']
QUICKSTART = ['--out', './pythia-nsn', '--modules', 'mlp', '--max-rank', '64']


def run(args, cwd, env=None, timeout=600):
    return subprocess.run(args, cwd=cwd, env=env or ENV, capture_output=True, text=True, timeout=timeout)


def rel_err(a, b) -> float:
    return ((a - b).norm() / b.norm()).item()


def test_real_smollm2_quickstart_round_trip(tmp_path, monkeypatch):
    "nsn-adapt on the real SmolLM2 GGUF, then the reference's snippet word for word (the prefix aside)."
    from lowrank_nb.nsn.hf_io import adapt_hf_model
    from lowrank_nb.nsn.reference import REFERENCE_COMMANDS
    from lowrank_nb.nsn.utils import get_rank, set_rank
    from lowrank_nb.pretrained import pretrained_path

    gg = pretrained_path('smollm2')
    r = run([*ADAPT, '--model', gg, *QUICKSTART], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert '90 layers -> NSNLinear' in r.stderr
    # the snippet itself, word for word (the prefix aside), run here in the output's folder
    snippet = next(c.ours for c in REFERENCE_COMMANDS if 'set_rank(model, 16)' in c.ours)
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(snippet, ns)
    model, tokenizer = ns['model'], ns['tokenizer']
    assert set(get_rank(model).values()) == {16} and len(get_rank(model)) == 90
    # its full-rank logits are the saved model's (rebuilt the way nsn-adapt built it)
    set_rank(model, 64)
    saved, _, recs = adapt_hf_model(gg, 64, 'mlp')
    enc = tokenizer("The capital of France is Paris. It is known for", return_tensors="pt")
    with torch.no_grad():
        err = rel_err(model(**enc).logits, saved(**enc).logits)
    print(f"SmolLM2 NSN (R = 64, MLP) loaded by from_pretrained vs the model nsn-adapt built: relative error {err:.2e}")
    assert err <= 1e-5
    assert len(recs) == 90


def test_hub_id_not_cached_says_where_it_looked(tmp_path):
    env = {**ENV, 'HF_HUB_CACHE': str(tmp_path / 'empty')}
    r = run([*ADAPT, '--model', 'EleutherAI/pythia-70m-deduped', *QUICKSTART], tmp_path, env)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith('nsn-adapt: error: no model at EleutherAI/pythia-70m-deduped')
    assert str(tmp_path / 'empty' / 'models--EleutherAI--pythia-70m-deduped') in line
