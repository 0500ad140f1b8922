"""The PREHAB-SVD commands' folded models (`final_model_folded`) load with plain transformers and give the outputs of
the truncated (factored) model they were folded from (a Llama built from a config, the real MiniLM); `--imagenet_path`
reads an ImageNet-style folder of real CIFAR-10 images and scores top-1 on its val split; user errors are one line."""

import pytest
import torch
from conftest import ROOT  # noqa: F401  (sets the offline environment)

from lowrank_nb.compress import layer_svds, sweep_ranks, truncated
from lowrank_nb.core import rel_rms
from lowrank_nb.prehab.commands import DocTask, parse_command, save_folded, write_image_folder
from lowrank_nb.prehab.reference import write_tiny_llama
from lowrank_nb.whiten import whitening_factors


def _fold_and_reload(argv, tmp_path, inputs, auto_cls, ratio=0.5):
    "Cut the model of `argv` in whitened space at `ratio`, fold it, read it back with `auto_cls`; both outputs."
    task = DocTask(parse_command('whiten_thresholds', argv))
    fac = whitening_factors(task.model, task.calib(), include=task.include)[0]
    svds = layer_svds(task.model, task.layers(), fac)
    plan = sweep_ranks(svds, ratio)
    with torch.no_grad(), truncated(task.model, svds, dict(zip(plan.name, plan['rank']))) as recs:
        assert len(recs) == len(svds)
        factored = task.model(**inputs)
        folder = save_folded(task.model, task.tok, task.spec, tmp_path)
    plain = auto_cls.from_pretrained(folder).eval()
    assert not any('LowRank' in type(m).__name__ for m in plain.modules())
    with torch.no_grad():
        return factored, plain(**inputs)


def test_fold_llama(tmp_path):
    from transformers import AutoModelForCausalLM

    folder = write_tiny_llama(tmp_path / 'tiny_llama')
    argv = [
        '--model',
        'llama',
        '--input_model_path',
        str(folder),
        '--prof_batches',
        '2',
        '--batch_size',
        '1',
        '--seq_len',
        '32',
    ]
    ids = {'input_ids': torch.randint(0, 1000, (2, 16))}
    a, b = _fold_and_reload(argv, tmp_path / 'out', ids, AutoModelForCausalLM)
    assert rel_rms(b.logits, a.logits) < 1e-5


def test_fold_minilm(tmp_path):
    from transformers import AutoModel

    argv = ['--model', 'bert', '--glue_task', 'stsb', '--prof_batches', '1', '--batch_size', '4']
    task_tok = DocTask(parse_command('svd', ['--model', 'bert', '--glue_task', 'stsb'])).tok
    enc = dict(task_tok(['a cat sat on the mat', 'low-rank models'], padding=True, return_tensors='pt'))
    a, b = _fold_and_reload(argv, tmp_path, enc, AutoModel)
    assert rel_rms(b.last_hidden_state, a.last_hidden_state) < 1e-5


@pytest.mark.parametrize(
    'argv, msg',
    [
        (['--model', 'bert', '--input_model_path', 'x.ckpt'], 'does not exist'),
        (['--model', 'llama', '--imagenet_path', '.'], '--imagenet_path applies to --model vit only'),
        (['--model', 'vit', '--img_size', '30'], 'must be a multiple of --patch_size'),
        (['--model', 'bert', '--ratios', '0.2,1.5'], 'every ratio must lie in (0, 1)'),
    ],
)
def test_user_errors(argv, msg, capsys):
    with pytest.raises(SystemExit) as e:
        parse_command('whiten_thresholds', argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and err.count('\n') == 1, err


def test_imagenet_folder_top1(tmp_path):
    write_image_folder(tmp_path / 'imnet', classes=3, per_class=4)
    vit = [
        '--vit_model',
        'vit_tiny_patch16_224',
        '--embed_dim',
        '32',
        '--depth',
        '1',
        '--num_heads',
        '2',
        '--img_size',
        '32',
        '--patch_size',
        '4',
        '--batch_size',
        '4',
    ]
    task = DocTask(parse_command('svd', ['--model', 'vit', '--imagenet_path', str(tmp_path / 'imnet'), *vit]))
    val = task.folder('val')
    assert val.classes == ['airplane', 'automobile', 'bird'] and len(val) == 12
    assert task.model.head.out_features == 3
    x, y = zip(*[val[i] for i in range(len(val))])
    with torch.no_grad():
        right = (task.model(torch.stack(x)).argmax(-1) == torch.tensor(y)).float().mean().item()
    assert abs(task.metric() - right) < 1e-6
