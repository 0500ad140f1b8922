"""Every experiment's `scale=full` configuration, built on the CPU without training (issue 23).

No GPU has run `make run SCALE=full` yet, and the full branches of the experiment notebooks are code no other test
executes. This file runs each notebook's own cells, from the imports through the settings cell after `parameters`,
with `scale = "full"` and its folders in a tmp folder, then builds the models those settings describe at full size
through the library (the objects are taken from the executed namespace, not retyped) and pushes one small batch of
random inputs of the real size (image side, window length) through forward and backward: output shapes, a finite
loss and a finite gradient on every trainable parameter. Where the full path compresses (NSA-ViT students, prehab,
NSN ranks) the compressed model is built and stepped too. Timing-only experiments execute their settings and, where
it is cheap, one operation at the largest shape they time. Experiments without a full scale are listed, and the test
proves that they refuse it. So a shape error or a typo in a full configuration fails here, not on the GPU's day.
"""

import copy, dataclasses, functools, json, re

import pytest
import torch
from conftest import ROOT

NB = ROOT / 'nbs' / 'experiments'
# experiments whose `scale` assert does not allow "full": checked below to refuse it, so the list cannot rot
NO_FULL = ('vit_teacher',)
# code cells after the `parameters` cell that hold the settings (the one after them starts the heavy work); 1 for all
# the experiments today: a notebook that moves part of its settings into a second cell says so here
SETTINGS_CELLS = {}


def code_cells(name: str) -> tuple[list[str], int]:
    "The notebook's code cells' sources and the index of its `parameters` cell among them."
    nb = json.loads((NB / f'{name}.ipynb').read_text())
    cells = [c for c in nb['cells'] if c['cell_type'] == 'code']
    (p,) = [i for i, c in enumerate(cells) if 'parameters' in c.get('metadata', {}).get('tags', [])]
    return [''.join(c['source']) for c in cells], p


def run_cells(name: str, ns: dict, cells: list[str], start: int, stop: int):
    "`exec` code cells `start` to `stop - 1` in `ns`, each compiled under its notebook and index (named on a failure)."
    for i in range(start, stop):
        exec(compile(cells[i], f'<{name}.ipynb code cell {i}>', 'exec'), ns)


def full_settings(name: str, tmp_path, **params) -> dict:
    """The namespace of `name`'s cells from the first through its settings, with `scale = "full"`, `out_dir` under
    `tmp_path` and `params` (other parameters) overriding the parameters cell's values.

    In-process, not a subprocess: the cells only set torch's thread count (restored by the `threads` fixture) and the
    seeds, and sharing the imports (torch, timm, transformers) across experiments keeps the file within its budget."""
    cells, p = code_cells(name)
    ns = {'__name__': f'full_{name}'}
    run_cells(name, ns, cells, 0, p + 1)
    ns |= dict(scale='full', out_dir=str(tmp_path / 'out')) | params
    run_cells(name, ns, cells, p + 1, p + 1 + SETTINGS_CELLS.get(name, 1))
    return ns


@pytest.fixture(autouse=True)
def threads():
    "The cells set torch's thread count: one thread while a test runs, the worker's count back after it."
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def check_grads(model: torch.nn.Module, loss: torch.Tensor):
    "`loss` is finite; after its backward every trainable parameter of `model` has a finite gradient."
    assert loss.ndim == 0 and torch.isfinite(loss), f'loss {loss}'
    loss.backward()
    bad = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())
    ]
    assert not bad, f'{len(bad)} trainable parameters without a finite gradient, e.g. {bad[:3]}'


def vit_params(dim: int, depth: int, mlp: int, patch: int, img: int, classes: int) -> int:
    "A timm ViT's parameter count, written out: patch embedding, class token, positions, blocks, norm, head."
    block = 2 * 2 * dim + (3 * dim * dim + 3 * dim) + (dim * dim + dim) + (dim * mlp + mlp) + (mlp * dim + dim)
    return (
        3 * patch * patch * dim
        + dim
        + dim
        + ((img // patch) ** 2 + 1) * dim
        + depth * block
        + 2 * dim
        + dim * classes
        + classes
    )


def images(n: int, side: int, classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 3, side, side, generator=g), torch.randint(0, classes, (n,), generator=g)


def classify_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, classes: int):
    "One training-mode forward and backward of a classifier: logits `[B, classes]`, finite loss and gradients."
    model.train()
    logits = model(x)
    assert logits.shape == (len(x), classes)
    check_grads(model, torch.nn.functional.cross_entropy(logits, y))


def nsa_step(teacher: torch.nn.Module, student: torch.nn.Module, weights, side: int):
    "One NSA-ViT distillation step, as the `Learner` takes it (`Distiller.forward` then `.loss`), batch 2."
    from lowrank_nb.nsa_vit.pipeline import Distiller

    d, batch = Distiller(teacher, student, weights), images(2, side)
    out = d.forward(student.train(), batch)
    assert out.logits.shape == (2, 10)
    check_grads(student, sum(d.loss(batch, out, {}).values()))


@functools.cache
def _smollm2():
    from lowrank_nb.pretrained import load_smollm2

    return load_smollm2('cpu')


def smollm2():
    "A fresh copy of SmolLM2-135M (loaded once per worker) and its tokenizer."
    model, tok = _smollm2()
    return copy.deepcopy(model), tok


SMOLLM2_PARAMS = 134_515_008  # SmolLM2-135M: 30 blocks, width 576, MLP 1536, tied 49,152-token embedding


def lm_step(model, n: int, tokens: int):
    "One causal-LM forward and backward on `n` random windows of `tokens` tokens: logits `[n, tokens, vocab]`."
    model.train()
    x = torch.randint(0, model.config.vocab_size, (n, tokens), generator=torch.Generator().manual_seed(0))
    out = model(input_ids=x, labels=x)
    assert out.logits.shape == (n, tokens, model.config.vocab_size)
    check_grads(model, out.loss)


# --- one builder per experiment: `(ns, tmp_path)`, ns the executed full-scale settings ----------------------------
def linear_vit(ns, tmp_path):
    "Each attention type's training config and model at the reference's size, a CIFAR-10 batch through it."
    from lowrank_nb.linear_vit.model import LinearViTCfg
    from lowrank_nb.linear_vit.train import LinearViTTrainCfg, model_cfg

    assert ns['arch'] == dict(dim=384, depth=12, heads=6, mlp_dim=1536) and ns['recipe']['epochs'] == 200
    # the FLOP table (a later cell) uses LinearViTCfg's defaults: they must be the full arch
    d = LinearViTCfg()
    assert (d.dim, d.depth, d.heads, d.mlp_dim) == tuple(ns['arch'].values())
    for kind in ns['kinds']:
        cfg = LinearViTTrainCfg(
            attention_type=kind,
            dataset='cifar10',
            seed=0,
            out_dir=str(tmp_path / kind),
            trackers='',
            checkpoints=True,
            ripple_stages=ns['ripple_stages'],
            hydra_branches=ns['hydra_branches'],
            **ns['arch'],
            **ns['recipe'],
        )
        model = ns['linear_vit'](model_cfg(cfg, 10))
        if kind == 'baseline':
            assert sum(p.numel() for p in model.parameters()) == vit_params(384, 12, 1536, 4, 32, 10)
        classify_step(model, *images(2, 32), 10)
    # the throughput bench's largest token count (1,025: 64 px, patch 2) builds; its step is the GPU's to time
    assert max(ns['bench']['tokens']) == 1025 and ns['bench']['batch'] == 128
    ns['linear_vit'](attention_type='ripple', img_size=64, patch_size=2, dropout=0.0, **ns['arch'])


def linear_vit_ablations(ns, tmp_path):
    "Tiny-ImageNet (64 px, patch 4: 257 tokens, 200 classes) per type; the CIFAR-10 ablation grid's models."
    from lowrank_nb.linear_vit.model import linear_vit
    from lowrank_nb.linear_vit.train import LinearViTTrainCfg, model_cfg

    assert ns['patch'] == 4 and ns['arch']['dim'] == 384
    for k in ns['kinds']:
        cfg = LinearViTTrainCfg(
            out_dir=str(tmp_path / k), attention_type=k, dataset='tiny-imagenet', patch_size=ns['patch'], **ns['common']
        )
        model = linear_vit(model_cfg(cfg, 200))
        if k == 'baseline':
            assert sum(p.numel() for p in model.parameters()) == vit_params(384, 12, 1536, 4, 64, 200)
        classify_step(model, *images(1, 64, 200), 200)
    for kind, (key, values) in ns['grids'].items():
        for v in values:
            cfg = LinearViTTrainCfg(
                out_dir=str(tmp_path / f'{key}{v}'), attention_type=kind, **{key: v}, **ns['common']
            )
            model = linear_vit(model_cfg(cfg, 10))
            with torch.no_grad():
                assert model.eval()(images(1, 32)[0]).shape == (1, 10), f'{key}={v}'


def nsa_vit(ns, tmp_path):
    "The ViT-S/4 teacher (patch 4 on 32 px) at its training config; each ratio's student, one NSA step."
    from lowrank_nb.nsa_vit.pipeline import build_student
    from lowrank_nb.vit import build_vit

    base = ns['base']
    assert base.teacher_model == 'vit_small_patch16_224' and (base.img_size, base.patch_size) == (32, 4)
    teacher = build_vit(dataclasses.replace(base, **ns['teacher_sched'], out_dir=str(tmp_path / 'teacher')))
    assert sum(p.numel() for p in teacher.parameters()) == vit_params(384, 12, 1536, 4, 32, 10)
    classify_step(teacher, *images(2, 32), 10)
    for rt in ns['ratios']:
        cfg = dataclasses.replace(base, **ns['student_sched'], fixed_rank_ratio=rt, out_dir=str(tmp_path / 's'))
        student = build_student(teacher, cfg)
        n_s = sum(p.numel() for p in student.parameters())
        assert 0 < n_s < sum(p.numel() for p in teacher.parameters())
        nsa_step(teacher, student, cfg.weights, 32)


def nsa_vit_run(ns, tmp_path):
    "Without --teacher_checkpoint the full path refuses to start; the default config's teacher and student step."
    from lowrank_nb.nsa_vit.pipeline import build_student
    from lowrank_nb.vit import build_vit

    cells, p = code_cells('nsa_vit_run')
    with pytest.raises(AssertionError, match='teacher_checkpoint'):
        run_cells('nsa_vit_run', ns, cells, p + 2, p + 3)
    cfg = ns['cfg']
    teacher = build_vit(cfg)
    assert sum(p.numel() for p in teacher.parameters()) == vit_params(384, 12, 1536, cfg.patch_size, cfg.img_size, 10)
    nsa_step(teacher, build_student(teacher, cfg), cfg.weights, cfg.img_size)


def nsa_linear_vit(ns, tmp_path):
    "Each attention type's reference-size teacher and its fixed-ratio student, one NSA step (γ = 0) each."
    from lowrank_nb.nsa_vit.pipeline import build_student

    arch, base = ns['arch'], ns['base']
    assert (arch.dim, arch.depth, arch.heads, arch.mlp_dim) == (384, 12, 6, 1536)
    dataclasses.replace(base, **ns['teacher_sched'], out_dir=str(tmp_path / 't'))  # its keys are NSAConfig's
    cfgs = {
        name: dataclasses.replace(base, **ns['student_sched'], **w, out_dir=str(tmp_path / name))
        for name, w in ns['variants'].items()
    }
    for kind in ns['kinds']:
        teacher = ns['linear_vit'](arch, attention_type=kind)
        nsa_step(teacher, build_student(teacher, cfgs['nsa']), cfgs['nsa'].weights, arch.img_size)


def prehab_nsa(ns, tmp_path):
    "The ViT-S/4 teacher, its whitened prehab loss (nuclear + effective rank, qkv split) stepped, each ratio's student."
    from lowrank_nb.nsa_vit.pipeline import build_student
    from lowrank_nb.prehab import PrehabLoss
    from lowrank_nb.surgery import select_linear
    from lowrank_nb.train import classification_loss
    from lowrank_nb.vit import build_vit
    from lowrank_nb.whiten import whitening_factors

    base, sched, lrs = ns['base'], ns['sched'], ns['lrs']
    assert base.teacher_model == 'vit_small_patch16_224' and ns['ratios'] == [0.25, 0.5]
    teacher = build_vit(dataclasses.replace(base, **sched(ns['teacher_steps'], lrs['teacher'], 0.1)))
    for k in ('finetune', 'student'):
        dataclasses.replace(base, **sched(ns['prehab_steps' if k == 'finetune' else 'student_steps'], lrs[k]))
    x, y = images(8, 32)
    fac, _ = whitening_factors(teacher, [x], include=ns['INC'])
    names = list(select_linear(teacher, ns['INC']))
    assert len(names) == len(fac) == 48
    split = {k: 3 for k in names if k.endswith('attn.qkv')}
    loss = PrehabLoss(
        classification_loss(),
        {k: teacher.get_submodule(k) for k in names},
        fac,
        lam=ns['lam'],
        kind='nuclear_erank',
        split=split,
    )
    teacher.train()
    terms = loss((x[:2], y[:2]), teacher(x[:2]), {})
    assert set(terms) >= {'rank'}
    check_grads(teacher, sum(terms.values()))
    teacher.zero_grad(set_to_none=True)
    for rt in ns['ratios']:
        cfg = dataclasses.replace(base, fixed_rank_ratio=rt)
        nsa_step(teacher, build_student(teacher, cfg), cfg.weights, 32)


def nsn_rank_sweep(ns, tmp_path):
    "SmolLM2-135M with every MLP an NSN layer, at the sampler's smallest rank: one full-length window (128 tokens)."
    from lowrank_nb.nsn import SandwichRanks, modules_regex, nsn_layers, replace_linear_with_nsn, set_uniform_rank
    from lowrank_nb.surgery import select_linear

    assert (ns['steps'], ns['batch_size'], ns['eval_windows'], ns['seq_len']) == (2000, 8, 64, 128)
    model, _ = smollm2()
    assert sum(p.numel() for p in model.parameters()) == SMOLLM2_PARAMS
    # the full run's modules select all 90 MLP layers; blocks 0 and 29 (each of the three shapes, first and last) are
    # converted and stepped here: the conversion is one SVD per layer, the same code for each (all 90: ~20 s more)
    inc = re.compile(modules_regex(ns['modules'], model))
    assert len(select_linear(model, inc.pattern)) == 90
    ends = '|'.join(rf'model\.layers\.{b}\.mlp\.' for b in (0, model.config.num_hidden_layers - 1))
    replace_linear_with_nsn(model, None, f'(?=.*(?:{ends}))(?:{inc.pattern})', verbose=False)
    layers = nsn_layers(model)
    R = max(l.max_rank for l in layers.values())
    assert len(layers) == 6 and R == 576
    sampler = SandwichRanks(R, k=ns['ranks_per_step'], min_rank=ns['train_min_rank'])
    set_uniform_rank(model, min(sampler.support))
    lm_step(model, 1, ns['seq_len'])  # one window of the batch's 8: the shapes are per window


def nsn_whitened(ns, tmp_path):
    """The whitened NSN init on SmolLM2 at the full settings (window, modules), one step at the smallest training rank.

    The factors come from one random window; only block 0's three MLP layers are whitened and cut here (the 90 float64
    SVDs of the full run take over a minute on one core); the raw arm at full `modules` is nsn_rank_sweep's model."""
    from lowrank_nb.compress import layer_svds
    from lowrank_nb.nsn import modules_regex, nsn_layers, replace_linear_with_nsn, set_uniform_rank
    from lowrank_nb.whiten import whitening_factors

    assert (ns['steps'], ns['batch_size'], ns['seq_len'], ns['calib_windows']) == (2000, 8, 128, 128)
    assert ns['modules'] == 'mlp' and ns['train_raw']
    model, _ = smollm2()
    inc = re.compile(modules_regex(ns['modules'], model))
    block0 = r'model\.layers\.0\.mlp\.'
    assert inc.search('model.layers.0.mlp.down_proj') and inc.search('model.layers.29.mlp.up_proj')
    x = torch.randint(0, model.config.vocab_size, (1, ns['seq_len']), generator=torch.Generator().manual_seed(1))
    factors, _ = whitening_factors(model, [dict(input_ids=x)], include=block0)
    replace_linear_with_nsn(model, None, block0, factors=layer_svds(model, list(factors), factors), verbose=False)
    assert len(nsn_layers(model)) == 3
    set_uniform_rank(model, ns['train_min_rank'])
    lm_step(model, 1, ns['seq_len'])


def nsn_sst2(ns, tmp_path):
    "MiniLM with a 2-way head, its 12 MLP layers NSN, one full batch (32 sentences of 64 tokens) at the smallest rank."
    from lowrank_nb.nsn import SandwichRanks, nsn_layers, replace_linear_with_nsn, set_uniform_rank
    from lowrank_nb.pretrained import load_minilm

    assert (ns['train_examples'], ns['dev_examples'], ns['epochs']) == (10**9, 10**9, 3)
    model, _ = load_minilm('cpu', num_labels=2)
    replace_linear_with_nsn(model, None, ns['modules'], verbose=False)
    layers = nsn_layers(model)
    R = max(l.max_rank for l in layers.values())
    assert len(layers) == 12 and R == 384
    set_uniform_rank(model, min(SandwichRanks(R, k=ns['ranks_per_step'], min_rank=ns['train_min_rank']).support))
    b, n = ns['batch_size'], ns['max_length']
    g = torch.Generator().manual_seed(0)
    batch = dict(
        input_ids=torch.randint(0, model.config.vocab_size, (b, n), generator=g),
        attention_mask=torch.ones(b, n, dtype=torch.long),
        labels=torch.randint(0, 2, (b,), generator=g),
    )
    model.train()
    out = model(**batch)
    assert out.logits.shape == (b, 2)
    check_grads(model, out.loss)


def prehab_svd(ns, tmp_path):
    """Every entry's CLI flags parse; the llama entry selects SmolLM2's 210 layers; one prehab step (window 256).

    The step's rank term covers block 0's seven layers (the same code for each of the 210; one SVD and its backward
    per layer, which for all 210 would dominate this file's time)."""
    from lowrank_nb.prehab import PrehabLoss
    from lowrank_nb.prehab.cli import build_parser
    from lowrank_nb.surgery import select_linear

    parser = build_parser()
    for name, s in ns['settings'].items():
        parser.parse_args(['svd', *s['flags']])
        if s['finetune']:
            parser.parse_args(['finetune', *s['flags'], *s['finetune']])
    assert ns['lora_ratios'] == ns['ratios']
    a = parser.parse_args(['prehab', *ns['settings']['llama']['flags']])
    model, _ = smollm2()
    layers = {k: model.get_submodule(k) for k in select_linear(model, a.include)}
    assert len(layers) == 210
    model.train()
    x = torch.randint(0, model.config.vocab_size, (1, a.seq_len), generator=torch.Generator().manual_seed(0))
    out = model(input_ids=x, labels=x)
    block0 = {k: m for k, m in layers.items() if k.startswith('model.layers.0.')}
    assert len(block0) == 7
    loss = PrehabLoss(lambda b, o, acts: {'loss': o.loss}, block0, None, lam=ns['lam'], kind='stable')
    check_grads(model, sum(loss(x, out, {}).values()))


def svd_llm_compare(ns, tmp_path):
    """Every entry's CLI flags parse; the llama entry selects SmolLM2's 210 layers, and the output Fisher of all 210
    (the loss-weighted levers' input) comes out finite from one window of the full length."""
    from lowrank_nb.prehab.cli import build_parser
    from lowrank_nb.sensitivity import causal_lm_loss, output_fisher
    from lowrank_nb.surgery import select_linear

    parser = build_parser()
    for name, s in ns['settings'].items():
        parser.parse_args(['svd', *s['flags']])
        if s['finetune']:
            parser.parse_args(['finetune', *s['flags'], *s['finetune']])
    assert (ns['recovery_steps'], ns['sst2_steps']) == (200, 2000)
    a = parser.parse_args(['svd', *ns['settings']['llama']['flags']])
    assert (a.prof_batches, a.eval_n, a.seq_len) == (128, 40, 256)
    model, _ = smollm2()
    names = list(select_linear(model, a.include))
    assert len(names) == 210
    x = torch.randint(0, model.config.vocab_size, (1, a.seq_len), generator=torch.Generator().manual_seed(0))
    fisher = output_fisher(model, [dict(input_ids=x)], names, causal_lm_loss)
    assert len(fisher) == 210 and all(torch.isfinite(f).all() and (f >= 0).all() for f in fisher.values())


def lowrank_speed(ns, tmp_path):
    "The ranks timed at full, and one LowRankLinear forward at the largest shape (1,576 tokens)."
    from lowrank_nb.lowrank import LowRankLinear

    assert (ns['repeats'], ns['min_run_time']) == (9, 0.5)
    m, n = 1536, 384
    r = max(ns['ranks'][m, n])
    layer = LowRankLinear(n, m, r)
    assert layer(torch.randn(ns['tokens'], n)).shape == (ns['tokens'], m)


def linear_attention_speed(ns, tmp_path):
    "N up to 16,385 at full, every kind timed is known; the PyTorch linear-attention fallback at that N is finite."
    from lowrank_nb.linear_vit.attention import linear_attention
    from lowrank_nb.linear_vit.modules import ATTENTION_TYPES, OPS

    assert max(ns['Ns']) == 16385 and ns['device'] in ('cpu', 'cuda')
    assert set(ns['ops']) <= set(OPS) and set(ns['layers']) <= set(ATTENTION_TYPES)
    q, k, v = (torch.randn(1, ns['heads'], 16385, ns['dim'] // ns['heads']) for _ in range(3))
    o = linear_attention(q, k, v, impl='torch')
    assert o.shape == q.shape and torch.isfinite(o).all()


def settings_only(*checks):
    "A builder for a timing or reading experiment: its settings ran at full; `checks` are `(ns) -> bool`."

    def build(ns, tmp_path):
        for c in checks:
            assert c(ns), c.__doc__

    return build


def _ranks(ns):
    "the full rank_fracs"
    return ns['rank_fracs'] == (0.1, 0.25, 0.5, 0.75)


BUILDERS = dict(
    linear_vit=linear_vit,
    linear_vit_ablations=linear_vit_ablations,
    nsa_vit=nsa_vit,
    nsa_vit_run=nsa_vit_run,
    nsa_linear_vit=nsa_linear_vit,
    prehab_nsa=prehab_nsa,
    nsn_rank_sweep=nsn_rank_sweep,
    nsn_whitened=nsn_whitened,
    nsn_sst2=nsn_sst2,
    prehab_svd=prehab_svd,
    svd_llm_compare=svd_llm_compare,
    lowrank_speed=lowrank_speed,
    linear_attention_speed=linear_attention_speed,
    train_bench=settings_only(lambda ns: (ns['rounds'], ns['steps']) == (9, 50)),
    whiten_profile=settings_only(_ranks),
    nsn_bench=settings_only(lambda ns: (ns['seq_len'], ns['new_tokens'], ns['repeats']) == (128, 16, 9)),
    minilm_spectra=settings_only(),
    prehab_bench=settings_only(lambda ns: (ns['windows'], ns['seq_len']) == (64, 1024)),
    seed_claims=settings_only(lambda ns: ns['scale'] == 'full'),
)
# parameters beyond scale and out_dir that a full run needs pointed at tmp (folders) or set (a required input)
PARAMS = dict(
    nsa_vit=lambda t: dict(work_dir=str(t / 'work')),
    nsa_linear_vit=lambda t: dict(work_dir=str(t / 'work')),
    prehab_nsa=lambda t: dict(work_dir=str(t / 'work')),
    # full needs a trained ViT-S/4 teacher (asserted below): a path is enough for the settings
    prehab_svd=lambda t: dict(vit_checkpoint=str(t / 'teacher.safetensors')),
)


def test_every_experiment_is_covered():
    "A new experiment notebook must get a full-scale builder here (or join NO_FULL)."
    names = {p.stem for p in NB.glob('*.ipynb')}
    assert names == set(BUILDERS) | set(NO_FULL)


@pytest.mark.parametrize('name', sorted(BUILDERS))
def test_full_scale_builds(name, tmp_path):
    ns = full_settings(name, tmp_path, **PARAMS.get(name, lambda t: {})(tmp_path))
    BUILDERS[name](ns, tmp_path)


@pytest.mark.parametrize('name', NO_FULL)
def test_no_full_scale(name, tmp_path):
    with pytest.raises(AssertionError, match='scale must be'):
        full_settings(name, tmp_path)


def test_prehab_svd_full_needs_a_teacher(tmp_path):
    "prehab_svd's full scale with the vit entry refuses to start without a trained teacher."
    with pytest.raises(AssertionError, match='vit_checkpoint'):
        full_settings('prehab_svd', tmp_path)
