#!/usr/bin/env bash
# Stop the one-node Slurm cluster started by setup_cluster.sh: slurmd, slurmctld, slurmdbd, then MariaDB and munged.
# Each daemon is stopped through its own pid file (never by process name) and waited for, at most
# DDR_SLURM_TIMEOUT seconds (default 60) each. Installed packages, configuration and the accounting database stay.
#   --keep-database  leave MariaDB running      --keep-munge  leave munged running
set -uo pipefail

TIMEOUT="${DDR_SLURM_TIMEOUT:-60}"
keep_database=0
keep_munge=0
for argument in "$@"; do
    case "$argument" in
        --keep-database) keep_database=1 ;;
        --keep-munge) keep_munge=1 ;;
        *) echo "usage: $0 [--keep-database] [--keep-munge]" >&2; exit 2 ;;
    esac
done

# stop NAME PIDFILE: SIGTERM the recorded process, wait for it to exit, SIGKILL it after the timeout.
stop() {
    local name=$1 pidfile=$2 pid
    [[ -s $pidfile ]] || return 0
    pid="$(cat "$pidfile")"
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        return 0
    fi
    echo "[teardown_cluster] stopping $name (pid $pid)" >&2
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "[teardown_cluster] $name did not stop within ${TIMEOUT}s: killing it" >&2
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.2
    done
    rm -f "$pidfile"
}

# Jobs still queued or running would otherwise be requeued when the cluster comes back.
if command -v scancel >/dev/null && [[ -s /run/slurm/slurmctld.pid ]]; then
    timeout 10 scancel --full --quiet --user=root >/dev/null 2>&1 || true
fi
stop slurmd /run/slurm/slurmd.pid
stop slurmctld /run/slurm/slurmctld.pid
stop slurmdbd /run/slurm/slurmdbd.pid
if ((!keep_database)); then stop mariadbd /run/mysqld/mysqld.pid; fi
if ((!keep_munge)); then stop munged /run/munge/munged.pid; fi
exit 0
