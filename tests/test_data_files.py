"""Issue 21 item 5 (data files): a damaged, foreign or hostile CIFAR pickle folder is refused with one error that names
the file and what was expected; pickles are read by a restricted unpickler that calls nothing but numpy's array
reconstruction."""

import os, pickle
from pathlib import Path

import numpy as np
import pytest

from lowrank_nb.data import cifar100, write_cifar100_pickles


class _Exploit:
    "Unpickling this would create a file: the proof that code ran."

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def _edit(folder: Path, name: str, fn):
    obj = pickle.load(open(folder / name, 'rb'), encoding='bytes')
    with open(folder / name, 'wb') as f:
        pickle.dump(fn(obj), f)


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    folder = write_cifar100_pickles(tmp_path, n=4)
    marker = tmp_path / 'pwned'
    _edit(folder, 'train', lambda d: d | {b'batch_label': _Exploit(marker)})
    with pytest.raises(
        ValueError, match=r"train is not a readable CIFAR pickle file .*refused to load the global posix"
    ):
        cifar100('train', root=tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    'file,edit,message',
    [
        ('meta', lambda m: {b'coarse_label_names': m[b'coarse_label_names']}, "class names under 'fine_label_names'"),
        ('train', lambda d: list(d.values()), 'expected a CIFAR pickle holding a dict, got a list'),
        ('train', lambda d: d | {b'data': d[b'data'] / 255}, "expected integer pixels in 0..255 (uint8), got float64"),
        ('train', lambda d: d | {b'data': d[b'data'].astype(np.int64) + 300}, 'pixel values must lie in 0..255'),
        ('train', lambda d: d | {b'fine_labels': [0, 1, 2, -1]}, "'fine_labels' must lie in [0, 100)"),
    ],
    ids=['meta-without-names', 'list', 'float-pixels', 'pixels-above-255', 'bad-label'],
)
def test_malformed_files_are_named(tmp_path, file, edit, message):
    folder = write_cifar100_pickles(tmp_path, n=4)
    _edit(folder, file, edit)
    with pytest.raises(ValueError) as e:
        cifar100('train', root=tmp_path)
    assert str(folder / file) in str(e.value) and message in str(e.value), str(e.value)


def test_truncated_file(tmp_path):
    folder = write_cifar100_pickles(tmp_path, n=4)
    (folder / 'train').write_bytes((folder / 'train').read_bytes()[:-50])
    with pytest.raises(ValueError, match='train is not a readable CIFAR pickle file .*truncated'):
        cifar100('train', root=tmp_path)


def test_valid_folder_still_loads(tmp_path):
    folder = write_cifar100_pickles(tmp_path, n=5)
    ds = cifar100('train', root=tmp_path)
    raw = pickle.load(open(folder / 'train', 'rb'), encoding='bytes')
    assert (ds.images.reshape(5, -1).numpy() == raw[b'data']).all()
    assert ds.targets.tolist() == raw[b'fine_labels'] and len(ds.classes) == 100
