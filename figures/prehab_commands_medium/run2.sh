#!/bin/bash
# Prehab + whitened SVD (the medium run's 'prehab + whitened SVD' rows) through the commands: lam 1, lr 5e-5, 40 steps.
set -e
cd /work/i20/prehab_medium_repro
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 WANDB_MODE=disabled
PY="nice -n 19 /work/main/.venv/bin/python -m"
t() { echo "+ $*" >> commands2.log; /usr/bin/time -f "%e s" -a -o times2.log "$@"; }
B="--model bert --glue_task stsb --batch_size 16 --prof_batches 16"
t $PY lowrank_nb.prehab.prehab $B --input_whiten_path out/bert_whiten/whiten.pth --output_dir out/bert_prehab --prehab_nbatch 40 --lr 5e-5 --lam 1.0
t $PY lowrank_nb.prehab.whiten $B --input_model_path out/bert_prehab/prehab.pth --output_dir out/bert_prehab_whiten
t $PY lowrank_nb.prehab.whiten_thresholds --model bert --glue_task stsb --input_model_path out/bert_prehab/prehab.pth --whiten_path out/bert_prehab_whiten/whiten.pth --output_csv out/bert_prehab_wspace/results.csv
while kill -0 5093 2>/dev/null; do sleep 10; done
L="--model llama --seq_len 256 --batch_size 1 --prof_batches 32"
t $PY lowrank_nb.prehab.prehab $L --input_whiten_path out/llama_whiten/whiten_llama.pth --output_dir out/llama_prehab --prehab_nbatch 40 --lr 5e-5 --lam 1.0
t $PY lowrank_nb.prehab.whiten $L --input_model_path out/llama_prehab/prehab.pth --output_dir out/llama_prehab_whiten
t $PY lowrank_nb.prehab.whiten_thresholds --model llama --input_model_path out/llama_prehab/prehab.pth --whiten_path out/llama_prehab_whiten/whiten_llama.pth --eval_n 8 --eval_len 1024 --ratios 0.2 --output_csv out/llama_prehab_wspace_20/results.csv
echo done >> commands2.log
