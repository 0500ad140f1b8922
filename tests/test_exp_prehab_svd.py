"The prehab_svd experiment through papermill, MiniLM only (`models=bert`): metrics.json against recorded values."
import json
from conftest import run_experiment

# recorded with `-p models bert -p threads 1` (and the same numbers within 3.5e-7 from the 2-thread smoke run in
# figures/prehab_svd): STS-B dev Spearman on 200 pairs. Runs differ only by BLAS summation order, so 1e-5 is ~30x that
# spread and far below the gaps the experiment is about (raw vs whitened: >= 0.017 at every ratio).
RECORDED = {'raw SVD': [0.921070, 0.919612, 0.912361, 0.904334, 0.877478],
            'whitened SVD': [0.938566, 0.937599, 0.938406, 0.937593, 0.937262],
            'whitened, per-layer allocation': [0.939504, 0.935727, 0.933804, 0.932307, 0.930859],
            'prehab + raw SVD': [0.919606, 0.920607, 0.913511, 0.908602, 0.884282],
            'prehab + whitened SVD': [0.933730, 0.935952, 0.938015, 0.936621, 0.935287]}
RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5)


def test_prehab_svd_bert(tmp_path):
    run = run_experiment(tmp_path, 'prehab_svd', models='bert', vit=False, threads=1)  # the ViT path: tests/test_prehab.py
    m = run['metrics']
    assert {'summary.md', 'bert_methods.csv', 'bert_methods.png'} <= run['files']
    assert m['bert_layers'] == 36 and not any(k.startswith(('llama', 'vit')) for k in m)  # only the model asked for
    assert abs(m['bert_dense'] - 0.936239) < 1e-5 and abs(m['bert_prehab_dense'] - 0.934854) < 1e-5
    for method, values in RECORDED.items():
        for ratio, v in zip(RATIOS, values): assert abs(m[f'bert|{method}|{ratio}'] - v) < 1e-5, (method, ratio, m[f'bert|{method}|{ratio}'])
    assert m['bert_whitened_beats_raw_all'] and all(m[f'bert|whitened SVD|{r}'] > m[f'bert|raw SVD|{r}'] for r in RATIOS)
    for r in (0.2, 0.4): assert abs(m[f'bert|prehab + whitened SVD + LoRA (U then V)|{r}'] - {0.2: 0.935657, 0.4: 0.936636}[r]) < 1e-5
