"Compare the commands' numbers with the recorded medium run (figures/prehab_svd_medium/*_methods.csv)."
import pandas as pd
from pathlib import Path

R, F = Path('/work/i20/prehab_medium_repro/out'), Path('/work/main/figures/prehab_svd_medium')
rows = []
def add(model, method, rec_csv, metric, files):
    rec = pd.read_csv(F / rec_csv, comment='#')
    rec = rec[rec.method == method].set_index('ratio')[metric]
    for f in files:
        if not (R / f).is_file():
            continue
        t = pd.read_csv(R / f, comment='#')
        for _, r in t.iterrows():
            old = rec.get(r.ratio)
            rows.append(dict(model=model, method=method, ratio=r.ratio, recorded=old, reproduced=r[metric],
                             rel_diff=abs(r[metric] - old) / abs(old) if old is not None else None, csv=f))
add('MiniLM STS-B (stsb_dev_spearman)', 'whitened SVD', 'bert_methods.csv', 'stsb_dev_spearman',
    ['bert_wspace/results.csv'])
add('MiniLM STS-B (stsb_dev_spearman)', 'whitened, per-layer allocation', 'bert_methods.csv', 'stsb_dev_spearman',
    ['bert_wspace_greedy/results.csv'])
add('SmolLM2 (wikitext2_test_ppl)', 'whitened SVD', 'llama_methods.csv', 'wikitext2_test_ppl',
    ['llama_wspace_20/results.csv', 'llama_wspace/results.csv'])
add('MiniLM STS-B (stsb_dev_spearman)', 'prehab + whitened SVD', 'bert_methods.csv', 'stsb_dev_spearman',
    ['bert_prehab_wspace/results.csv'])
add('SmolLM2 (wikitext2_test_ppl)', 'prehab + whitened SVD', 'llama_methods.csv', 'wikitext2_test_ppl',
    ['llama_prehab_wspace_20/results.csv'])
t = pd.DataFrame(rows).sort_values(['model', 'method', 'ratio'])
cols = list(t.columns)
fmt = lambda v: f'{v:.6g}' if isinstance(v, float) else str(v)
print('| ' + ' | '.join(cols) + ' |\n|' + '---|' * len(cols))
for _, r in t.iterrows():
    print('| ' + ' | '.join(fmt(r[c]) for c in cols) + ' |')
