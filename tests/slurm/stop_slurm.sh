#!/usr/bin/env bash
# Stop the daemons started by setup_slurm.sh, using their pid files only.
# Usage: tests/slurm/stop_slurm.sh [STATE_DIR]   (default /tmp/latentspace-slurm)
# Safe to run twice; leaves STATE_DIR (logs, config) in place for inspection.
set -euo pipefail

STATE=$(realpath -m "${1:-/tmp/latentspace-slurm}")

stop() {  # stop NAME PIDFILE: SIGTERM, wait up to 15 s, then SIGKILL
    local name=$1 pidfile=$2 pid
    [[ -s $pidfile ]] || { echo "stop_slurm: $name: no pid file" >&2; return 0; }
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop_slurm: $name ($pid) ignored SIGTERM, killing" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        echo "stop_slurm: stopped $name ($pid)" >&2
    else
        echo "stop_slurm: $name ($pid) not running" >&2
    fi
    rm -f "$pidfile"
}

# slurmd first (it may still be running job steps), then controller, then munge.
stop slurmd "$STATE/slurmd.pid"
stop slurmctld "$STATE/slurmctld.pid"
stop munged "$STATE/munge/munged.pid"

# Remove the /etc/slurm/slurm.conf symlink setup_slurm.sh made (only if it is ours).
if [[ -L /etc/slurm/slurm.conf && $(readlink /etc/slurm/slurm.conf) == "$STATE/slurm.conf" ]]; then
    rm -f /etc/slurm/slurm.conf
fi
