"Before/after distillation overhead at the smoke size and at ViT-S/4 (32 px), 1 thread, random-init teacher (timing only)."
import json, platform, sys, time, torch, timm
from lowrank_nb.nsa_vit.model import create_vit, LowRankViT
from lowrank_nb.nsa_vit.losses import NSAWeights
from lowrank_nb.nsa_vit.pipeline import Distiller, bench_distill
torch.set_num_threads(1)
sizes = dict(smoke=dict(name='vit_tiny_patch16_224', embed_dim=32, depth=2, num_heads=2, batch=64, repeats=15, rounds=3),
             vit_s=dict(name='vit_small_patch16_224', embed_dim=None, depth=None, num_heads=None, batch=32, repeats=3, rounds=1))
rows = []
for size in sys.argv[1:]:
    c = sizes[size]; torch.manual_seed(0)
    t = create_vit(c['name'], 10, 32, 4, c['embed_dim'], c['depth'], c['num_heads'])
    s = LowRankViT(t, 'fixed_ratio', fixed_rank_ratio=0.25)
    x, y = torch.randn(c['batch'], 3, 32, 32), torch.randint(0, 10, (c['batch'],))
    for r in range(c['rounds']):  # alternate before/after so load drifts hit both
        for fused in (False, True):
            b = bench_distill(Distiller(t, s, NSAWeights(), fused=fused), (x, y), repeats=c['repeats'])
            rows.append(dict(size=size, round=r, version='after' if fused else 'before', **b)); print(rows[-1], flush=True)
import os
info = dict(machine=platform.processor() or platform.machine(), cpu_count=os.cpu_count(), loadavg=os.getloadavg(), threads=torch.get_num_threads(),
            torch=torch.__version__, timm=timm.__version__, python=platform.python_version(), date=time.strftime('%Y-%m-%d %H:%M'))
json.dump(dict(info=info, rows=rows), open(f'figures/nsa_vit/overhead/bench.json', 'w'), indent=1)
