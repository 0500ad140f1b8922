"""NSN training checkpoints are safetensors + JSON, and a resume never unpickles anything (issue 21, item 1).

A checkpoint folder holding a file that would run code if unpickled is refused, naming the file, and the code never
runs; a run interrupted mid-epoch and resumed from its own checkpoint gives the same losses, learning rates and final
weights as the run that was never interrupted. NSN training runs through the shared `lowrank_nb.train.Learner`
(`fit_multi_rank`, which `nsn-train` calls), so this is the path `nsn-train --resume` takes.
"""

import dataclasses
import pickle

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.utils import logging as hf_logging

from lowrank_nb.nsn.api import replace_linear_with_nsn
from lowrank_nb.nsn.training import SandwichRanks, fit_multi_rank
from lowrank_nb.train import TrainCfg

hf_logging.set_verbosity_error()
torch.set_num_threads(1)


class Planted:
    "Unpickling this writes a marker file: what a tampered checkpoint could do."

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('code ran')",)


class Interrupt(Exception):
    pass


def nsn_model():
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=128,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    model = LlamaForCausalLM(cfg)
    replace_linear_with_nsn(model, 8, 'mlp', verbose=False)
    return model.train()


def windows(n=12, length=16):
    ids = torch.randint(0, 128, (n, length), generator=torch.Generator().manual_seed(1))
    return ids, ids.clone()


def cfg(out_dir, **kw):
    base = dict(out_dir=str(out_dir), epochs=2, lr=3e-3, device='cpu', trackers='', log_every=1, ckpt_every=4)
    return TrainCfg(**(base | dict(best_metric='train/loss', best_mode='min', keep_last=1) | kw))


def fit(out_dir, callbacks=(), **kw):
    return fit_multi_rank(
        nsn_model(), windows(), SandwichRanks(8, k=3), cfg(out_dir, **kw), batch_size=2, callbacks=callbacks
    )


def stop_at(step):
    def cb(learn, event):
        if event == 'after_step' and learn.step == step:
            raise Interrupt(step)

    return cb


def steps(learn):
    "The per-step log without the timing column."
    return [{k: v for k, v in row.items() if k != 'train/items_per_s'} for row in learn.steps]


def test_resume_gives_the_uninterrupted_run(tmp_path):
    whole = fit(tmp_path / 'whole')
    with pytest.raises(Interrupt):
        # 6 steps per epoch: stopped at the end of epoch 1, before its checkpoint; the last one is step 4
        fit(tmp_path / 'cut', callbacks=(stop_at(6),))
    assert [p.name for p in (tmp_path / 'cut' / 'checkpoints').glob('step-*')] == ['step-00000004']
    resumed = fit(tmp_path / 'cut', resume=True)
    assert resumed.step == whole.step == 12
    assert steps(resumed) == steps(whole)
    assert [len(steps(whole)), steps(whole)[5]['step']] == [12, 6]
    assert [h['train/loss'] for h in resumed.history] == [h['train/loss'] for h in whole.history]
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert torch.equal(whole.loss_fn.log_vars, resumed.loss_fn.log_vars)


@pytest.mark.parametrize('name', ['custom_checkpoint_0.pkl', 'optimizer.bin', 'notes.txt'])
def test_a_planted_pickle_is_refused_and_never_run(tmp_path, name):
    fit(tmp_path / 'run', epochs=1, ckpt_every=0)
    (ck,) = (tmp_path / 'run' / 'checkpoints').glob('step-*')
    marker = tmp_path / 'marker'
    (ck / name).write_bytes(pickle.dumps(Planted(marker)))
    with pytest.raises(ValueError, match=rf"{name} is a pickle .*which can run code when loaded; refusing to read"):
        fit(tmp_path / 'run', epochs=1, ckpt_every=0, resume=True)
    assert not marker.exists()
    # the planted file would have run code: proof that the test plants what it says
    pickle.loads((ck / name).read_bytes())
    assert marker.read_text() == 'code ran'


def test_checkpoint_files_are_safetensors_and_json(tmp_path):
    fit(tmp_path / 'run', epochs=1, ckpt_every=0)
    (ck,) = (tmp_path / 'run' / 'checkpoints').glob('step-*')
    assert {f.suffix for f in ck.iterdir()} == {'.safetensors', '.json'}
    assert {f.suffix for f in (tmp_path / 'run').rglob('*') if f.is_file()} <= {'.safetensors', '.json', '.csv'}


def test_nsn_train_resume_refuses_a_planted_pickle(tmp_path, capsys):
    "`nsn-train --resume`: one usage line naming the planted file, exit 2, and the planted code never runs."
    from transformers import AutoTokenizer

    # the function, not the module `python -m lowrank_nb.nsn.cli.nsn_train` runs (which shadows it once imported)
    from lowrank_nb.nsn.cli.nsn_train import nsn_train
    from lowrank_nb.nsn.hf_io import save_nsn
    from lowrank_nb.pretrained import pretrained_path

    tok = AutoTokenizer.from_pretrained(pretrained_path('minilm'))
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok),
            hidden_size=32,
            intermediate_size=48,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
        )
    )
    replace_linear_with_nsn(model, 8, 'mlp', verbose=False)
    save_nsn(model, tok, tmp_path / 'nsn')
    (tmp_path / 'text.txt').write_text(' '.join(f'word{i % 50} and more text' for i in range(400)))
    argv = [
        '--model',
        str(tmp_path / 'nsn'),
        '--data',
        str(tmp_path / 'text.txt'),
        '--steps',
        '2',
        '--batch-size',
        '2',
        '--seq-len',
        '16',
        '--out',
        str(tmp_path / 'out'),
    ]
    # what an interrupted run leaves in OUT/run (a finished one is replaced by the saved model), plus a planted file
    ck = tmp_path / 'out' / 'run' / 'checkpoints' / 'step-00000001'
    ck.mkdir(parents=True)
    (ck / 'trainer_state.json').write_text('{}')
    marker = tmp_path / 'marker'
    (ck / 'custom_checkpoint_0.pkl').write_bytes(pickle.dumps(Planted(marker)))
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        nsn_train([*argv, '--resume'])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'nsn-train: error:' in err and 'custom_checkpoint_0.pkl is a pickle' in err and 'Traceback' not in err
    assert not marker.exists()
