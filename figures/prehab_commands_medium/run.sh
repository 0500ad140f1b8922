#!/bin/bash
# The PREHAB medium reproduction through the reference's commands (settings: figures/prehab_svd_medium/config.yaml).
set -e
cd /work/i20/prehab_medium_repro
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 WANDB_MODE=disabled
PY="nice -n 19 /work/main/.venv/bin/python -m"
t() { echo "+ $*" >> commands.log; /usr/bin/time -f "%e s" -a -o times.log "$@"; }
# MiniLM STS-B: whitened SVD (uniform) and per-layer (greedy) allocation, 16 calibration batches of 16 sentences
t $PY lowrank_nb.prehab.whiten --model bert --glue_task stsb --batch_size 16 --prof_batches 16 --output_dir out/bert_whiten
t $PY lowrank_nb.prehab.whiten_thresholds --model bert --glue_task stsb --whiten_path out/bert_whiten/whiten.pth --output_csv out/bert_wspace/results.csv
t $PY lowrank_nb.prehab.whiten_thresholds --model bert --glue_task stsb --whiten_path out/bert_whiten/whiten.pth --output_csv out/bert_wspace_greedy/results.csv --allocation greedy
# SmolLM2: 32 calibration windows of 256 tokens, scored on 8 windows of 1024 tokens; 20% first, then the rest
t $PY lowrank_nb.prehab.whiten --model llama --seq_len 256 --batch_size 1 --prof_batches 32 --output_dir out/llama_whiten
t $PY lowrank_nb.prehab.whiten_thresholds --model llama --whiten_path out/llama_whiten/whiten_llama.pth --eval_n 8 --eval_len 1024 --ratios 0.2 --output_csv out/llama_wspace_20/results.csv
t $PY lowrank_nb.prehab.whiten_thresholds --model llama --whiten_path out/llama_whiten/whiten_llama.pth --eval_n 8 --eval_len 1024 --ratios 0.1,0.3,0.4,0.5 --output_csv out/llama_wspace/results.csv
echo done >> commands.log
