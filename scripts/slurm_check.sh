#!/usr/bin/env bash
# The README's SLURM recipe end to end on a local one-node cluster (Debian's slurm-wlm and munge): a job array of
# `slips sample --shard auto` tasks, `slips merge`, and the merged samples byte-for-byte against the unsharded run.
# CI-optional: it needs root to start the daemons; without slurm-wlm it installs it with apt-get when it can, else
# it says so and exits 0. Usage: scripts/slurm_check.sh [path/to/slips] (default .build/release/slips).
set -euo pipefail
cd "$(dirname "$0")/.."
slips=$(realpath "${1:-.build/release/slips}")
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm >/dev/null \
            || { echo "slurm_check: apt-get could not install slurm-wlm; skipped"; exit 0; }
    else
        echo "slurm_check: slurm-wlm is not installed and cannot be installed here; skipped"; exit 0
    fi
fi
[ "$(id -u)" = 0 ] || { echo "slurm_check: starting slurmctld and slurmd needs root; skipped"; exit 0; }

work=$(mktemp -d)
host=$(hostname -s)
cleanup() {
    for p in slurmd slurmctld munged; do [ -f "$work/$p.pid" ] && kill "$(cat "$work/$p.pid")" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# munge: a key of our own and a daemon on our own socket.
mkdir -p "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1 count=1024 status=none
chmod 700 "$work/munge"
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/socket" --pid-file="$work/munged.pid" \
    --log-file="$work/munge/log" --seed-file="$work/munge/seed"

cpus=$(nproc)
cat > "$work/slurm.conf" <<CONF
ClusterName=slips-check
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
slurmctld -c -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %T | grep -q idle || { echo "slurm_check: the node did not come up"; cat "$work"/slurm*.log; exit 1; }

# The README's recipe: an array of shards, then merge.
run=(sample --target two-modes --dim 8 --samples 1000 --steps 64 --seed 11 --threads 1 --quiet)
mkdir -p "$work/out"
cat > "$work/array.sh" <<JOB
#!/bin/bash
#SBATCH --array=0-3 --cpus-per-task=1 --output=$work/out/task-%a.log
"$slips" ${run[*]} --shard auto --output "$work/out/s\$SLURM_ARRAY_TASK_ID.npy"
JOB
sbatch --wait --chdir="$work/out" "$work/array.sh" >/dev/null || { cat "$work"/out/task-*.log "$work"/slurmctld.log; exit 1; }
"$slips" merge "$work"/out/s*.npy --output "$work/merged.npy" >/dev/null
"$slips" "${run[@]}" --output "$work/whole.npy" >/dev/null
cmp "$work/merged.npy" "$work/whole.npy"
echo "slurm_check: 4 array tasks merged to the unsharded run's bytes"
