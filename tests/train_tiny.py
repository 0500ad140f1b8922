"""A small, fast training job for tests/test_train.py: an MLP with dropout on a seeded synthetic 4-class problem
whose inputs go through a random (per-item seeded) augmentation, trained with lowrank_nb.train.Learner.

Run directly, under `torchrun`, or `accelerate launch`. Flags are TinyCfg's fields (see --help); `--kill_at_step N`
SIGKILLs the process right after optimiser step N, to test resuming. Writes the final parameters to
`out_dir/final_params.pt` and the final metrics to `out_dir/final.json` (main process)."""

import dataclasses, json, os, signal, sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from lowrank_nb.core import load_config
from lowrank_nb.data import ImageTensorDataset
from lowrank_nb.train import Learner, TrainCfg


@dataclasses.dataclass
class TinyCfg(TrainCfg):
    "A small training job for the tests."

    batch_size: int = 32  # global batch size
    num_workers: int = 0  # DataLoader worker processes
    dropout: float = 0.1  # dropout rate of the MLP
    kill_at_step: int = 0  # SIGKILL this process after this optimiser step (0: never)


def data(n_train: int, n_valid: int, seed: int = 0):
    "A 4-class problem (labels from a fixed random linear map of 4x4 uint8 images); training images get random noise."
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n_train + n_valid, 1, 4, 4), dtype=torch.uint8, generator=g)
    y = (x.flatten(1).float() @ torch.randn(16, 4, generator=g)).argmax(1)
    noisy = lambda img: img.float() / 255 + 0.05 * torch.randn(img.shape)  # random, so resuming must reproduce it
    plain = lambda img: img.float() / 255
    return (
        ImageTensorDataset(x[:n_train], y[:n_train], list('abcd'), transform=noisy),
        ImageTensorDataset(x[n_train:], y[n_train:], list('abcd'), transform=plain),
    )


def main(argv=None):
    cfg = load_config(TinyCfg, argv=sys.argv[1:] if argv is None else argv)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(64, 4))
    train_ds, valid_ds = data(1024, 256)
    dl = DataLoader(
        train_ds,
        batch_size=cfg.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0,
    )
    vdl = DataLoader(valid_ds, batch_size=64)

    def killer(learner, event):
        if event == 'after_step' and learner.step == cfg.kill_at_step:
            os.kill(os.getpid(), signal.SIGKILL)

    learn = Learner(model, dl, vdl, cfg, callbacks=(killer,) if cfg.kill_at_step else ())
    res = learn.fit()
    if learn.accelerator.is_main_process:
        out = Path(cfg.out_dir)
        torch.save(
            {k: v.detach().cpu() for k, v in learn.accelerator.unwrap_model(learn.model).state_dict().items()},
            out / 'final_params.pt',
        )
        (out / 'final.json').write_text(
            json.dumps({'metrics': res, 'steps': learn.step, 'processes': learn.accelerator.num_processes})
        )


if __name__ == '__main__':
    main()
