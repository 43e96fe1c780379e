#!/usr/bin/env bash
# One shard of a bench run per Slurm array task. Submit with ./slurm_submit.sh, which also queues the merge.
#   SHARDS    number of shards (the array is 1..SHARDS; default: the array's task count)
#   SHARED    a directory every node sees (results and the demo/feature cache live there)
#   BENCH_ARGS  the run's options, the same for every shard (default: the paper profile of cortexbench)
#SBATCH --job-name=bench-shard
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=24:00:00
#SBATCH --output=%x-%A_%a.log
set -euo pipefail
: "${SHARED:?set SHARED to a directory that every node sees}"
index="${SLURM_ARRAY_TASK_ID:?run this script as a Slurm array job (sbatch --array=1-N)}"
count="${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?set SHARDS}}"
args=(${BENCH_ARGS:---suite cortexbench --profile paper})
cd "${BENCH_REPO:-$SLURM_SUBMIT_DIR}"
# Shards of one command partition its cell list (cell k goes to shard k mod n); each writes its own directory.
npx bench run "${args[@]}" --shard "${index}/${count}" --out "${SHARED}/shards/${index}" --cache-dir "${SHARED}/cache" --threads "${SLURM_CPUS_PER_TASK:-1}"
