#!/usr/bin/env bash
# Queues SHARDS array tasks of slurm_shard.sh and, after all of them succeed, one merge into $SHARED/merged.
#   SHARDS=16 SHARED=/scratch/$USER/bench-paper ./examples/scale-out/slurm_submit.sh
set -euo pipefail
: "${SHARED:?set SHARED to a directory that every node sees}"
shards="${SHARDS:-8}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "${SHARED}/shards"
array=$(sbatch --parsable --array="1-${shards}" --export=ALL,SHARDS="${shards}" "${here}/slurm_shard.sh")
sbatch --dependency="afterok:${array}" --job-name=bench-merge --output=bench-merge-%j.log \
  --wrap "cd '${PWD}' && npx bench merge ${SHARED}/shards/* --out ${SHARED}/merged && npx bench report ${SHARED}/merged"
echo "queued array job ${array} (${shards} shards) and its merge"
