"""Fuzz the public entry points that take user values (issue 21).

Any input must end in a result, or in a `ValueError`, `FileNotFoundError` or `TypeError` (or argparse's exit code 2)
whose message names the offending value -- never an `AssertionError`, `KeyError`, `IndexError` or an error raised
inside torch. Covered: the rank rules (`lowrank_nb.ranks`), NSN's rank setters, configs from YAML and the command
line (NSA-ViT, Linear-ViT, the PREHAB-SVD and NSN parsers through `reference.cli_result`) and data-set paths
(`lowrank_nb.data`, `lowrank_nb.data_text`), on files that are missing, foreign, truncated or malformed.
Every example is derandomized (the same inputs each run) and small: the file runs in well under a minute.
"""

import gzip, io, math, os, pickle, string, tempfile, traceback, zipfile
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')

import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from torch import nn

from lowrank_nb import data, data_text
from lowrank_nb.ranks import RANK_RULES, plan_table, rank_by_energy
from lowrank_nb.reference import cli_result

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
USER_ERRORS = (ValueError, FileNotFoundError, TypeError)


def _spellings(v) -> set[str]:
    "The ways a message may write the value `v`."
    out = {repr(v), str(v)}
    if isinstance(v, str) and v and '\0' not in v:
        out.add(str(Path(v)))  # as a path: `a/` is named `a`
    if isinstance(v, float):
        out |= {f'{v:g}', f'{v:.4g}'}
    if isinstance(v, str) and v.startswith('--'):  # a flag: its key and its `=value`
        out |= set(v[2:].partition('=')[::2]) | {v[2:].partition('=')[0].replace('-', '_')}
    if isinstance(v, (list, tuple)):
        out |= {s for x in v for s in _spellings(x)} if len(v) == 1 else set()
    return {s for s in out if s}


def _named(msg: str, culprits, words=()) -> bool:
    return any(s in msg for v in culprits for s in _spellings(v)) or any(w in msg for w in words)


def outcome(fn, *culprits, words=()):
    "`fn()`, or the user error it raised after checking the message names one of `culprits` (or `words`)."
    try:
        return fn()
    except USER_ERRORS as e:
        frames = traceback.extract_tb(e.__traceback__)
        where = frames[-1].filename if frames else ''
        msg = f'{type(e).__name__}: {e}'
        assert f'{os.sep}torch{os.sep}' not in where, f"raised inside torch ({where}): {msg}"
        assert _named(str(e), culprits, words), f"the message names none of {culprits!r:.300}: {msg}"
        return e


def cli_outcome(fn, argv: list[str], words=()):
    "`(exit code, stderr)` of a parser on `argv`: 0, or 2 with a message naming one of the tokens (or `words`)."
    res = outcome(lambda: cli_result(fn, argv), *argv, words=words)
    if isinstance(res, Exception):
        return res
    code, err = res
    assert code in (0, 2), (code, err)
    if code == 2:
        assert 'Traceback' not in err, err
        assert _named(err, argv, words), f"exit 2 names none of {argv}: {err}"
    return res


# ---------------------------------------------------------------------------------------------------------------
# values a user may type or pass

scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.integers(-3, 600),
    st.booleans(),
    st.none(),
    st.text(string.ascii_letters + string.digits + '.-_ ', max_size=8),
)
values = st.one_of(scalars, st.lists(st.floats(allow_nan=False, width=32), max_size=2))
shape_like = st.one_of(
    st.tuples(st.integers(-2, 3000), st.integers(-2, 3000)),
    st.tuples(st.integers(1, 40), st.integers(1, 40)),
    st.tuples(st.integers(1, 9)),
    st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.floats(0.5, 9), st.integers(1, 9)),
    st.tuples(st.booleans(), st.integers(1, 9)),
    st.none(),
    st.text(max_size=4),
)


def _valid_shape(s) -> bool:
    return isinstance(s, tuple) and len(s) == 2 and all(type(d) is int and d >= 1 for d in s)


# ---------------------------------------------------------------------------------------------------------------
# rank rules


@FUZZ
@given(shape=shape_like, value=values, rule=st.sampled_from(['rank_frac', 'param_ratio']), allow=st.booleans())
def test_rank_rules(shape, value, rule, allow):
    res = outcome(lambda: RANK_RULES[rule](shape, value, allow_larger=allow, name='fuzz.fc'), shape, value)
    if not isinstance(res, Exception):
        m, n = shape
        assert res.rank is None or 1 <= res.rank <= min(m, n), res
        assert 1 <= res.wanted <= min(m, n), res


@st.composite
def spectra(draw):
    "A layer shape and singular values for it: valid (descending, >= 0) or not."
    m, n = draw(st.tuples(st.integers(1, 12), st.integers(1, 12)))
    k = min(m, n)
    good = sorted(draw(st.lists(st.floats(0, 1e6), min_size=k, max_size=k)), reverse=True)
    s = draw(
        st.one_of(
            st.just(good),
            st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=6),
            st.just([float('nan')] * k),
            st.text(max_size=4),
            st.just([[1.0, 2.0]]),
        )
    )
    as_tensor = draw(st.booleans()) and not isinstance(s, str)
    return (m, n), (torch.tensor(s) if as_tensor else s)


@FUZZ
@given(ms=spectra(), threshold=values, allow=st.booleans())
def test_energy_rule(ms, threshold, allow):
    (m, n), s = ms
    res = outcome(
        lambda: rank_by_energy((m, n), s, threshold, allow_larger=allow, name='fuzz.fc'),
        threshold,
        words=('layer fuzz.fc: expected', 'singular values'),
    )
    if not isinstance(res, Exception):
        assert res.rank is None or 1 <= res.rank <= min(m, n), res


names = st.text(string.ascii_lowercase + '.0123', min_size=1, max_size=6)


@FUZZ
@given(
    shapes=st.one_of(st.dictionaries(names, shape_like, max_size=3), st.lists(names, max_size=2)),
    rule=st.one_of(st.sampled_from(list(RANK_RULES)), st.text(max_size=6), st.lists(st.just('rank_frac'), max_size=1)),
    value=values,
    include=st.one_of(st.none(), st.sampled_from(['(', '[a', '*', 'a', '^b$', '']), st.integers(0, 3)),
)
def test_plan_table(shapes, rule, value, include):
    spectra_ = (
        {k: torch.linspace(1, 0, min(v)) for k, v in shapes.items() if _valid_shape(v)}
        if isinstance(shapes, dict)
        else None
    )
    culprits = [rule, value, include, *(shapes.values() if isinstance(shapes, dict) else [])]
    words = ('shapes must be a dict', 'no layer of the', 'needs the singular values of every layer')
    outcome(lambda: plan_table(shapes, rule, value, spectra=spectra_, include=include), *culprits, words=words)


TOY = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))


@FUZZ
@given(
    rule=st.one_of(st.sampled_from(list(RANK_RULES)), st.text(max_size=6), st.lists(st.just('energy'), max_size=1)),
    value=values,
    include=st.one_of(st.none(), st.sampled_from(['(', '[0', '^2$', 'attn', '0|2']), st.integers(0, 3)),
)
def test_plan_ranks(rule, value, include):
    from lowrank_nb.ranks import plan_ranks

    words = ('no nn.Linear of Sequential is selected',)
    res = outcome(lambda: plan_ranks(TOY, rule, value, include=include), rule, value, include, words=words)
    if not isinstance(res, Exception):
        assert set(res.name) <= {'0', '2'}


# ---------------------------------------------------------------------------------------------------------------
# NSN ranks


def _nsn_model():
    from lowrank_nb.lowrank import NSNLinear

    torch.manual_seed(0)
    return nn.Sequential(NSNLinear.from_linear(nn.Linear(8, 6), max_rank=4), nn.ReLU(), nn.Linear(6, 2))


NSN = _nsn_model()


@FUZZ
@given(
    rank=st.one_of(
        scalars, st.dictionaries(st.sampled_from(['0', '1', '2', 'x', '0.weight']), scalars, max_size=2), st.just({})
    )
)
def test_nsn_set_rank(rank):
    from lowrank_nb.nsn import set_rank

    culprits = [rank, *(rank.values() if isinstance(rank, dict) else []), *(rank if isinstance(rank, dict) else [])]
    res = outcome(lambda: set_rank(NSN, rank), *culprits)
    if not isinstance(res, Exception):
        assert all(1 <= r <= 4 for r in res.values()), res
    NSN[0].set_rank(4)


@FUZZ
@given(max_rank=scalars)
def test_nsn_check_max_rank(max_rank):
    from lowrank_nb.nsn import check_max_rank

    res = outcome(lambda: check_max_rank(max_rank), max_rank)
    if not isinstance(res, Exception):
        assert res is None or (type(res) is int and res >= 1)


# ---------------------------------------------------------------------------------------------------------------
# configs from YAML and the command line


def _fields(cls) -> list[str]:
    import dataclasses

    return [f.name for f in dataclasses.fields(cls)]


yaml_values = st.one_of(
    scalars.filter(lambda v: not (isinstance(v, float) and math.isnan(v))),
    st.lists(st.integers(-3, 100), max_size=3),
    st.sampled_from(['auto', 'cpu', 'cuda:7', 'tpu', 'cifar10', 'tiny-imagenet', 'relu', 'ripple', '1e4', '-1']),
)


@st.composite
def yaml_texts(draw, cls):
    "A YAML file for `cls`: a mapping of (mostly real) keys to any values, or text that is not such a mapping."
    keys = st.one_of(st.sampled_from(_fields(cls)), st.text(string.ascii_lowercase + '_', min_size=1, max_size=8))
    mapping = draw(st.dictionaries(keys, yaml_values, max_size=3))
    if draw(st.integers(0, 4)):
        return yaml.safe_dump(mapping), [*mapping, *mapping.values()]
    junk = draw(st.sampled_from(['a: [1, 2', 'key: : :', '- 1\n- 2', '42', '"unterminated', 'a: 1\n a: 2', '\t']))
    return junk, []


def _nsa_config():
    from lowrank_nb.nsa_vit.pipeline import NSAConfig

    return NSAConfig


def _linear_vit_config():
    from lowrank_nb.linear_vit.train import LinearViTTrainCfg

    return LinearViTTrainCfg


@FUZZ
@given(st.data())
def test_nsa_vit_config_from_yaml(d):
    from lowrank_nb.core import load_config

    cls = _nsa_config()
    text, culprits = d.draw(yaml_texts(cls))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'cfg.yaml'
        path.write_text(text)
        res = outcome(lambda: load_config(cls, path=path), path, *culprits)
    if not isinstance(res, Exception):
        assert isinstance(res, cls)


@st.composite
def argvs(draw, flags: list[str], extra=()):
    "Command-line tokens: known flags with any values, and now and then a stray token."
    out = list(draw(st.lists(st.sampled_from(list(extra)), max_size=1, unique=True))) if extra else []
    for _ in range(draw(st.integers(0, 3))):
        out.append(draw(st.sampled_from(flags)))
        v = draw(yaml_values)
        if v is not None and draw(st.integers(0, 5)):
            out.append(str(v))
    if not draw(st.integers(0, 6)):
        out.append(draw(st.sampled_from(['--nope', 'stray', '-x', '--', '--epochs=', '=1'])))
    return out


@FUZZ
@given(st.data())
def test_nsa_vit_config_from_argv(d):
    from lowrank_nb.core import load_config

    cls = _nsa_config()
    argv = d.draw(argvs([f'--{k}' for k in _fields(cls)]))
    outcome(lambda: load_config(cls, argv=argv), *argv, words=('expected one argument', 'unknown or malformed'))


@FUZZ
@given(st.data())
def test_linear_vit_cli_parser(d):
    "What `linear_vit_train_cli` parses before it loads anything: `load_config(LinearViTTrainCfg, argv=...)`."
    from lowrank_nb.core import load_config

    cls = _linear_vit_config()
    argv = d.draw(argvs([f'--{k}' for k in _fields(cls)]))
    outcome(lambda: load_config(cls, argv=argv), *argv, words=('expected one argument', 'unknown or malformed'))


def _flags(parser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings if o.startswith('--') and o != '--help']


@pytest.mark.parametrize('stage', ['finetune', 'whiten', 'prehab', 'svd', 'whiten_thresholds'])
def test_prehab_parsers(stage):
    from lowrank_nb.prehab.commands import command_parser, parse_command

    flags = _flags(command_parser(stage))

    @FUZZ
    @given(st.data())
    def run(d):
        argv = d.draw(argvs(flags, extra=['--model']))
        if argv[:1] == ['--model'] and d.draw(st.booleans()):
            argv.insert(1, d.draw(st.sampled_from(['bert', 'vit', 'llama'])))
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)  # relative output paths stay in the temporary folder
            try:
                cli_outcome(lambda a: parse_command(stage, a), argv, words=('required', 'expected one argument'))
            finally:
                os.chdir(cwd)

    run()


@pytest.mark.parametrize('tool', ['adapt', 'train', 'infer'])
def test_nsn_parsers(tool):
    import lowrank_nb.nsn.cli as cli

    parser = getattr(cli, f'{tool}_parser')
    flags = _flags(parser())

    @FUZZ
    @given(st.data())
    def run(d):
        argv = d.draw(argvs(flags))
        cli_outcome(lambda a: parser().parse_args(a), argv, words=('required', 'expected one argument'))

    run()


# ---------------------------------------------------------------------------------------------------------------
# data-set paths and the files found there

pickle_leaves = st.one_of(
    st.none(),
    st.integers(-300, 300),
    st.floats(allow_nan=True),
    st.binary(max_size=6),
    st.text(max_size=6),
    hnp.arrays(
        st.sampled_from([np.uint8, np.int64, np.float32, np.float64]),
        st.sampled_from([(2, 3072), (3, 3072), (2, 5), (4,), ()]),
    ),
)
pickle_objects = st.recursive(
    pickle_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from([b'data', b'labels', b'fine_labels', b'label_names', b'fine_label_names', 'data', 7]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


@st.composite
def file_bytes(draw):
    "The bytes of a data file: random, truncated pickles of fuzzed objects, or empty."
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=64))
    blob = pickle.dumps(draw(pickle_objects), protocol=draw(st.sampled_from([2, 4, 5])))
    return blob[: draw(st.integers(0, len(blob)))] if kind == 1 else blob


@FUZZ
@given(
    files=st.dictionaries(
        st.sampled_from(['data_batch_1', 'test_batch', 'batches.meta', 'train', 'test', 'meta']),
        file_bytes(),
        max_size=4,
    ),
    name=st.sampled_from(['cifar10', 'cifar100']),
    split=st.one_of(st.sampled_from(['train', 'test']), st.text(max_size=4)),
    label=st.sampled_from(['fine', 'coarse', 'medium']),
)
def test_cifar_pickle_folders(files, name, split, label):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / data._PICKLES[name][0]
        folder.mkdir()
        for f, b in files.items():
            (folder / f).write_bytes(b)
        load = (lambda: data.cifar10(split, root=tmp, cache=False)) if name == 'cifar10' else None
        load = load or (lambda: data.cifar100(split, root=tmp, label=label))
        res = outcome(load, tmp, split, label)
    if not isinstance(res, Exception):
        assert res.images.dtype == torch.uint8 and res.images.shape[1:] == (3, 32, 32)


@st.composite
def zips(draw, members: list[str]):
    "A zip holding some of `members` with fuzzed text or bytes, or bytes that are not a zip."
    if not draw(st.integers(0, 5)):
        return draw(st.binary(max_size=40))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for m in draw(st.lists(st.sampled_from(members), max_size=len(members), unique=True)):
            text = draw(st.one_of(st.text(max_size=30), st.binary(max_size=30).map(bytes)))
            z.writestr(m, text)
    blob = buf.getvalue()
    return blob[: draw(st.integers(len(blob) // 2, len(blob)))] if not draw(st.integers(0, 5)) else blob


TINY = [
    'tiny-imagenet-200/wnids.txt',
    'tiny-imagenet-200/words.txt',
    'tiny-imagenet-200/train/n01/images/a.JPEG',
    'tiny-imagenet-200/val/val_annotations.txt',
    'tiny-imagenet-200/val/images/v.JPEG',
]


@FUZZ
@given(blob=zips(TINY), split=st.one_of(st.sampled_from(['train', 'val']), st.text(max_size=3)))
def test_tiny_imagenet_zips(blob, split):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / 'tiny-imagenet-200.zip').write_bytes(blob)
        res = outcome(lambda: data.tiny_imagenet(split, root=tmp, cache=False), tmp, split)
    if not isinstance(res, Exception):
        assert res.images.dtype == torch.uint8


@FUZZ
@given(blob=zips(['train/cat/0.jpg', 'test/dog/1.png', 'train/x.jpg']), split=st.sampled_from(['train', 'test']))
def test_cifar10_zips(blob, split):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / 'cifar10-jpg.zip').write_bytes(blob)
        outcome(lambda: data.cifar10(split, root=tmp, cache=False), tmp, split)


@FUZZ
@given(
    blobs=st.dictionaries(
        st.sampled_from(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte']),
        st.one_of(
            st.binary(max_size=40),
            st.tuples(st.integers(0, 3), st.binary(max_size=24)).map(lambda t: b'\0\0\x08' + bytes([t[0]]) + t[1]),
        ),
        max_size=3,
    ),
    gz=st.booleans(),
)
def test_fashion_mnist_files(blobs, gz):
    with tempfile.TemporaryDirectory() as tmp:
        for f, b in blobs.items():
            (Path(tmp) / f).write_bytes(gzip.compress(b) if f.endswith('.gz') and gz else b)
        outcome(lambda: data.fashion_mnist('test', root=tmp), tmp)


roots = st.one_of(
    st.sampled_from(['/nonexistent/data', '', '.', 'a\0b', '~']),
    st.text(string.ascii_letters + '/._-', max_size=10).map(lambda s: '/nonexistent/' + s),
    st.integers(-2, 5),
    st.booleans(),
    st.lists(st.just('x'), max_size=1),
)


@FUZZ
@given(root=roots, loader=st.sampled_from(['cifar10', 'cifar100', 'tiny_imagenet', 'fashion_mnist', 'image_folder']))
def test_image_roots(root, loader):
    kw = {'cache': False} if loader in ('cifar10', 'tiny_imagenet') else {}
    split = {'tiny_imagenet': 'val', 'fashion_mnist': 'test', 'image_folder': 'val'}.get(loader, 'test')
    if root in ('', '.', '~') and loader != 'image_folder':
        root = '/nonexistent' + root  # the working directory may hold a real data set
    outcome(lambda: getattr(data, loader)(split, root=root, **kw), root, words=('image_folder needs root',))


TSV_ROWS = st.lists(
    st.lists(st.text(string.ascii_letters + string.digits + '." -', max_size=6), max_size=4).map('\t'.join),
    max_size=4,
)


@FUZZ
@given(
    header=st.sampled_from(['sentence\tlabel', 'index\tsentence', 'sentence1\tsentence2\tscore', '', 'x']),
    rows=TSV_ROWS,
    raw=st.one_of(st.none(), st.binary(max_size=20)),
    which=st.sampled_from(['sst2', 'stsb', 'stsb_original', 'wikitext2']),
    split=st.one_of(st.sampled_from(['train', 'dev', 'test', 'valid']), st.text(max_size=3)),
)
def test_text_files(header, rows, raw, which, split):
    rel = {
        'sst2': f'glue/SST-2/{split}.tsv',
        'stsb': f'glue/STS-B/{split}.tsv',
        'stsb_original': f'stsbenchmark/sts-{split}.csv',
        'wikitext2': f'wikitext-2-raw/wiki.{split}.raw',
    }[which]
    load = {
        'sst2': lambda r: data_text.load_sst2(split, root=r),
        'stsb': lambda r: data_text.load_stsb(split, root=r),
        'stsb_original': lambda r: data_text.load_stsb(split, 'original', root=r),
        'wikitext2': lambda r: data_text.load_wikitext2(split, root=r),
    }[which]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / rel
        if '/' not in split and split not in ('', '.', '..'):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw if raw is not None else '\n'.join([header, *rows]).encode())
        res = outcome(lambda: load(tmp), tmp, split)
    if not isinstance(res, Exception):
        assert isinstance(res, (str, data_text.TextDataset))


@FUZZ
@given(root=roots.filter(lambda r: r not in ('', '.')))  # the working directory may hold the data set
def test_text_roots(root):
    outcome(lambda: data_text.load_sst2('dev', root=root), root)
