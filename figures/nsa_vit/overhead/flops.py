import torch
from torch.utils.flop_counter import FlopCounterMode
from lowrank_nb.nsa_vit.model import create_vit, LowRankViT
from lowrank_nb.nsa_vit.losses import NSAWeights
from lowrank_nb.nsa_vit.pipeline import Distiller
torch.set_num_threads(1); torch.manual_seed(0)
import json
from lowrank_nb.core import env_info
rows = []
for size, kw, B in (('smoke', dict(embed_dim=32, depth=2, num_heads=2), 64), ('vit_s', {}, 32)):
    t = create_vit('vit_tiny_patch16_224' if size == 'smoke' else 'vit_small_patch16_224', **kw); s = LowRankViT(t, 'fixed_ratio', fixed_rank_ratio=0.25)
    d = Distiller(t, s, NSAWeights()); x, y = torch.randn(B, 3, 32, 32), torch.randint(0, 10, (B,))
    def plain():  # unfused attention here too: FlopCounterMode does not count CPU SDPA, and the maths is the same
        for b in (*t.blocks, *s.vit.blocks): b.attn.fused_attn = False
        with torch.no_grad(): t(x)
        torch.nn.functional.cross_entropy(s(x), y).backward()
    def nsa(fused):
        d.fused = fused; out = d.forward(s, (x, y)); sum(d.loss((x, y), out, {}).values()).backward()
    res = {}
    for k, f in (('plain', plain), ('reference', lambda: nsa(False)), ('fused', lambda: nsa(True))):
        with FlopCounterMode(display=False) as fc: f()
        res[k] = fc.get_total_flops()
    rows.append(dict(size=size, batch=B, **{f'{k}_flops': v for k, v in res.items()}, reference_overhead_pct=100*(res['reference']/res['plain']-1), fused_overhead_pct=100*(res['fused']/res['plain']-1)))
    print(size, {k: f'{v/1e9:.3f} GFLOP' for k, v in res.items()}, 'overhead % ref', 100*(res['reference']/res['plain']-1), 'fused', 100*(res['fused']/res['plain']-1))
json.dump(dict(env=env_info(), note='matmul/attention FLOPs (torch.utils.flop_counter) of one plain step (counted with unfused attention, same maths; teacher forward + student CE forward/backward) and one NSA step; fixed_ratio 0.25 student, default NSAWeights', rows=rows), open('figures/nsa_vit/overhead/flops.json', 'w'), indent=1)
