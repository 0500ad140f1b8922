"""NSN surgery on the architectures transformers ships, each built tiny from its config (hidden 32, 2 layers).

For each one: `modules='all'` adapts every linear projection inside the blocks (nn.Linear and GPT-2's Conv1D),
counted here from names alone, independently of the library's structural rule; full-rank logits equal the dense
model's; a small rank changes them; `restore_linear_from_nsn` brings them back. `'mlp'` and `'attn'` split the same
projections between them. The cases issue 21 found (OPT's fc1/fc2, BART's cross-attention, GPT-2's Conv1D) are named.
"""

import re

import pytest
import torch
import transformers as T
from torch import nn
from transformers.pytorch_utils import Conv1D
from transformers.utils import logging as hf_logging

from lowrank_nb.core import rel_rms
from lowrank_nb.nsn.api import replace_linear_with_nsn, restore_linear_from_nsn
from lowrank_nb.surgery import load_lowrank, lowrank_layout, save_lowrank, set_rank

hf_logging.set_verbosity_error()
torch.set_num_threads(1)

H = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, vocab_size=128)
ARCHS = {
    'gpt2': lambda: (T.GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=128, n_positions=64), T.GPT2LMHeadModel),
    'gpt_neox': lambda: (T.GPTNeoXConfig(**H, max_position_embeddings=64), T.GPTNeoXForCausalLM),
    'opt': lambda: (
        T.OPTConfig(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            ffn_dim=48,
            vocab_size=128,
            max_position_embeddings=64,
            word_embed_proj_dim=32,
        ),
        T.OPTForCausalLM,
    ),
    'llama': lambda: (T.LlamaConfig(**H, num_key_value_heads=2, max_position_embeddings=64), T.LlamaForCausalLM),
    'bloom': lambda: (T.BloomConfig(hidden_size=32, n_layer=2, n_head=4, vocab_size=128), T.BloomForCausalLM),
    'falcon': lambda: (
        T.FalconConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, vocab_size=128),
        T.FalconForCausalLM,
    ),
    'phi': lambda: (T.PhiConfig(**H, max_position_embeddings=64), T.PhiForCausalLM),
    'qwen2': lambda: (T.Qwen2Config(**H, num_key_value_heads=2, max_position_embeddings=64), T.Qwen2ForCausalLM),
    'bert': lambda: (T.BertConfig(**H), T.BertForSequenceClassification),
    'roberta': lambda: (T.RobertaConfig(**H, max_position_embeddings=64), T.RobertaForMaskedLM),
    'distilbert': lambda: (
        T.DistilBertConfig(dim=32, n_layers=2, n_heads=4, hidden_dim=48, vocab_size=128),
        T.DistilBertForSequenceClassification,
    ),
    'bart': lambda: (
        T.BartConfig(
            d_model=32,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=48,
            decoder_ffn_dim=48,
            vocab_size=128,
            max_position_embeddings=64,
        ),
        T.BartForConditionalGeneration,
    ),
    't5': lambda: (
        T.T5Config(d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4, vocab_size=128),
        T.T5ForConditionalGeneration,
    ),
}
# what is not a projection inside the transformer blocks, by the names transformers gives it
OUTSIDE = r'(^|\.)(lm_head|classifier|pre_classifier|pooler|score|embed\w*|project_(in|out))(\.|$)'


def build(arch):
    cfg, cls = ARCHS[arch]()
    torch.manual_seed(0)
    return cls(cfg).eval()


def logits(model):
    with torch.no_grad():
        out = model(**model.dummy_inputs)
    return out.logits


def projections(model):
    "Every nn.Linear / Conv1D outside embeddings and heads, counted from names alone (not the library's rule)."
    return {n for n, m in model.named_modules() if isinstance(m, (nn.Linear, Conv1D)) and not re.search(OUTSIDE, n)}


@pytest.mark.parametrize('arch', list(ARCHS))
def test_all_full_rank_low_rank_restore(arch, capsys):
    model = build(arch)
    ref, want = logits(model), projections(model)
    recs = replace_linear_with_nsn(model, None, 'all')
    assert {r['name'] for r in recs} == want and len(recs) == len(want)
    assert set(recs.left) == {n for n, m in build(arch).named_modules() if isinstance(m, (nn.Linear, Conv1D))} - want
    assert f"adapted {len(want)} layers" in capsys.readouterr().err
    assert rel_rms(logits(model), ref) <= 1e-5
    set_rank(model, 2)
    assert rel_rms(logits(model), ref) > 1e-3
    set_rank(model, {r['name']: r['rank'] for r in recs})
    restore_linear_from_nsn(model)
    assert {type(m) for n, m in model.named_modules() if n in want} <= {nn.Linear, Conv1D}
    for n, m in build(arch).named_modules():  # a Conv1D comes back as a Conv1D (GPT-2's weight layout)
        assert isinstance(model.get_submodule(n), Conv1D) == isinstance(m, Conv1D), n
    assert rel_rms(logits(model), ref) <= 1e-5


@pytest.mark.parametrize('arch', list(ARCHS))
def test_mlp_attn_partition(arch):
    model = build(arch)
    ref = logits(model)
    mlp = replace_linear_with_nsn(model, 4, 'mlp', verbose=False)
    attn = replace_linear_with_nsn(model, 4, 'attn', verbose=False)
    names = [r['name'] for r in mlp] + [r['name'] for r in attn]
    assert set(names) == projections(build(arch)) and len(names) == len(set(names))
    assert {r['kind'] for r in mlp} == {'mlp'} and {r['kind'] for r in attn} == {'attn'}
    assert len(mlp) >= 4 and len(attn) >= 4
    # the other order: attention first, the MLP then classified with NSN attention layers in place
    other = build(arch)
    attn2 = replace_linear_with_nsn(other, 4, 'attn', verbose=False)
    mlp2 = replace_linear_with_nsn(other, 4, 'mlp', verbose=False)
    assert [r['name'] for r in attn2] == [r['name'] for r in attn] and [r['name'] for r in mlp2] == [
        r['name'] for r in mlp
    ]
    # the classifying pass leaves no trace on the model
    assert not any(hasattr(t, '_nsn_from') for t in [*model.parameters(), *model.buffers()])
    assert rel_rms(logits(model), ref) > 1e-3


def test_the_layers_issue_21_found_skipped(capsys):
    "OPT's fc1/fc2, BART's cross-attention and fc1/fc2, GPT-2's Conv1D: all adapted, and the summary says so."
    opt = replace_linear_with_nsn(build('opt'), 4, 'mlp', verbose=False)
    assert {r['name'].rsplit('.', 1)[-1] for r in opt} == {'fc1', 'fc2'}
    bart = replace_linear_with_nsn(build('bart'), 4, 'attn', verbose=False)
    assert sum('encoder_attn' in r['name'] for r in bart) == 2 * 4
    gpt2 = replace_linear_with_nsn(build('gpt2'), 4, 'all')
    assert {r['source'] for r in gpt2} == {'Conv1D'} and len(gpt2) == 8
    assert capsys.readouterr().err.strip() == (
        "NSN: adapted 8 layers; left 1: lm_head (outside the transformer blocks)"
    )


@pytest.mark.parametrize('arch', list(ARCHS))
def test_save_load_round_trip(arch, tmp_path):
    "An adapted model at a low rank saves (layout in the metadata) and reloads onto a fresh dense model exactly."
    model = build(arch)
    replace_linear_with_nsn(model, 6, 'all', verbose=False)
    set_rank(model, 3)
    save_lowrank(model, tmp_path / 'm.safetensors')
    back = load_lowrank(build(arch), tmp_path / 'm.safetensors').eval()
    assert lowrank_layout(back) == lowrank_layout(model)
    assert torch.equal(logits(back), logits(model))
