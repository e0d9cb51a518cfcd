#!/usr/bin/env bash
# Start a one-node Slurm cluster (slurmctld + slurmd + slurmdbd on MariaDB, munge auth) on this machine, on
# 127.0.0.1 only, so that tests/test_slurm.py can run the workflow through snakemake-executor-plugin-slurm.
#
# Idempotent: installs Debian's packages if missing, (re)writes the configuration from the templates next to this
# script, starts whatever is not running and returns once `sinfo` shows the node idle. A cluster that is already up
# with the same configuration is left alone. Needs root (CI runs as root). Stop it with teardown_cluster.sh.
#
# Settings (environment): DDR_SLURM_CLUSTER (ddrtest), DDR_SLURM_PARTITION (ddr), DDR_SLURM_ACCOUNT (ddr),
# DDR_SLURM_CPUS (2), DDR_SLURM_GPUS (stand-in GPUs, 2), DDR_SLURM_TIMEOUT (seconds per wait, 120).
# Prints one "timing <phase> <seconds>" line per phase.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER="${DDR_SLURM_CLUSTER:-ddrtest}"
PARTITION="${DDR_SLURM_PARTITION:-ddr}"
ACCOUNT="${DDR_SLURM_ACCOUNT:-ddr}"
CPUS="${DDR_SLURM_CPUS:-2}"
GPUS="${DDR_SLURM_GPUS:-2}"
TIMEOUT="${DDR_SLURM_TIMEOUT:-120}"
NODE="$(hostname -s)"
PACKAGES=(munge slurm-client slurmctld slurmd slurmdbd mariadb-server)
REQUIRED_BINARIES=(/usr/sbin/munged /usr/bin/munge /usr/bin/sinfo /usr/bin/sacct /usr/bin/sacctmgr /usr/sbin/slurmctld
                   /usr/sbin/slurmd /usr/sbin/slurmdbd /usr/sbin/mariadbd /usr/bin/mariadb)

log() { echo "[setup_cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ $EUID -ne 0 ]]; then
    die "must run as root (installs packages and starts system daemons)"
fi

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every half second until it succeeds or SECONDS pass.
wait_for() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "timed out after ${limit}s waiting for ${what}"
        fi
        sleep 0.5
    done
}

phase_start=$SECONDS
timing() { echo "timing $1 $((SECONDS - phase_start))"; phase_start=$SECONDS; }

# --- 1. install -------------------------------------------------------------------------------------------------
missing=0
for binary in "${REQUIRED_BINARIES[@]}"; do
    [[ -x $binary ]] || missing=1
done
if ((missing)); then
    log "installing ${PACKAGES[*]}"
    # Package scripts must not start the daemons: there is no init system here and this script starts them itself.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -q >&2
    timeout 1200 apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
    for binary in "${REQUIRED_BINARIES[@]}"; do
        [[ -x $binary ]] || die "$binary still missing after installing ${PACKAGES[*]}"
    done
fi
timing install

# --- 2. configure -----------------------------------------------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
install -d -o slurm -g slurm -m 0755 /etc/slurm /var/lib/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd \
    /var/log/slurm /run/slurm
install -d -o mysql -g mysql -m 0755 /run/mysqld
# Stand-in GPU device files for gres.conf: character devices that nothing opens.
install -d -m 0755 /run/ddr-test-gpus
for ((gpu = 0; gpu < GPUS; gpu++)); do
    ln -sfn /dev/null "/run/ddr-test-gpus/gpu${gpu}"
done

if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating the munge key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

# Keep the database password of an earlier set-up so that a rerun does not need to restart slurmdbd.
DBPASS=""
if [[ -f /etc/slurm/slurmdbd.conf ]]; then
    DBPASS="$(sed -n 's/^StoragePass=//p' /etc/slurm/slurmdbd.conf)"
fi
if [[ -z $DBPASS ]]; then
    DBPASS="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
fi

# Leave some memory for the daemons and the submitting Snakemake.
MEMORY=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.85 }' /proc/meminfo)

render() {
    sed -e "s|@CLUSTER@|${CLUSTER}|g" -e "s|@NODE@|${NODE}|g" -e "s|@CPUS@|${CPUS}|g" -e "s|@MEMORY@|${MEMORY}|g" \
        -e "s|@GPUS@|${GPUS}|g" -e "s|@LASTGPU@|$((GPUS - 1))|g" -e "s|@PARTITION@|${PARTITION}|g" \
        -e "s|@DBPASS@|${DBPASS}|g" "$1"
}

# install_config TEMPLATE TARGET MODE OWNER: write the rendered template; report whether the content changed.
changed=0
install_config() {
    local rendered
    rendered="$(mktemp)"
    if [[ $1 == *.in ]]; then render "$1" >"$rendered"; else cp "$1" "$rendered"; fi
    if ! cmp -s "$rendered" "$2"; then
        changed=1
        install -m "$3" -o "$4" -g "$4" "$rendered" "$2"
    fi
    rm -f "$rendered"
}
install_config "$HERE/slurm.conf.in" /etc/slurm/slurm.conf 0644 slurm
install_config "$HERE/gres.conf.in" /etc/slurm/gres.conf 0644 slurm
install_config "$HERE/cgroup.conf" /etc/slurm/cgroup.conf 0644 slurm
install_config "$HERE/slurmdbd.conf.in" /etc/slurm/slurmdbd.conf 0600 slurm
timing configure

# --- 3. start ---------------------------------------------------------------------------------------------------
# pid_alive PIDFILE: the daemon recorded in PIDFILE is running.
pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Daemons are detached from this script's stdout/stderr so that a caller capturing them does not wait forever.
if ((changed)); then
    log "configuration changed: restarting the Slurm daemons"
    bash "$HERE/teardown_cluster.sh" --keep-database --keep-munge
fi

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1 || die "munged did not start; see /var/log/munge"
    wait_for "$TIMEOUT" "munged" bash -c 'munge -n | unmunge'
fi

if ! mariadb-admin --protocol=socket ping >/dev/null 2>&1; then
    if [[ ! -d /var/lib/mysql/mysql ]]; then
        log "initialising the MariaDB data directory"
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=socket \
            >/var/log/slurm/mariadb-install.log 2>&1
    fi
    log "starting MariaDB (unix socket only)"
    setsid /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock \
        --pid-file=/run/mysqld/mysqld.pid --skip-networking --log-error=/var/log/slurm/mariadb.log \
        </dev/null >/dev/null 2>&1 &
    wait_for "$TIMEOUT" "MariaDB" mariadb-admin --protocol=socket ping
fi
mariadb --protocol=socket <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DBPASS}';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '${DBPASS}';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

if ! pid_alive /run/slurm/slurmdbd.pid; then
    log "starting slurmdbd"
    /usr/sbin/slurmdbd </dev/null >/dev/null 2>&1 || die "slurmdbd did not start; see /var/log/slurm/slurmdbd.log"
    wait_for "$TIMEOUT" "slurmdbd" sacctmgr -n list cluster
fi

# The cluster, an account and the users that submit must exist in the accounting database before slurmctld
# registers, so that jobs are accounted and the executor plugin's account check (sacctmgr list user) succeeds.
if [[ -z "$(sacctmgr -n -P list cluster "$CLUSTER" format=cluster)" ]]; then
    sacctmgr -i add cluster "$CLUSTER" >&2
fi
if [[ -z "$(sacctmgr -n -P list account "$ACCOUNT" format=account)" ]]; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description="DDR workflow tests" organization=ddr >&2
fi
for user in root ${SUDO_USER:-}; do
    if [[ -z "$(sacctmgr -n -P list association cluster="$CLUSTER" account="$ACCOUNT" user="$user" format=user)" ]]
    then
        sacctmgr -i add user "$user" account="$ACCOUNT" cluster="$CLUSTER" defaultaccount="$ACCOUNT" >&2
    fi
done

if ! pid_alive /run/slurm/slurmctld.pid; then
    log "starting slurmctld"
    /usr/sbin/slurmctld </dev/null >/dev/null 2>&1 || die "slurmctld did not start; see /var/log/slurm/slurmctld.log"
    wait_for "$TIMEOUT" "slurmctld" scontrol ping
fi
if ! pid_alive /run/slurm/slurmd.pid; then
    log "starting slurmd"
    /usr/sbin/slurmd </dev/null >/dev/null 2>&1 || die "slurmd did not start; see /var/log/slurm/slurmd.log"
fi

node_idle() { [[ "$(sinfo -h -n "$NODE" -o %t)" == idle ]]; }
deadline=$((SECONDS + TIMEOUT))
until node_idle; do
    state="$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)"
    case "$state" in
        down* | drain* | drng* | fail*)
            scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    if ((SECONDS >= deadline)); then
        scontrol show node "$NODE" >&2 || true
        tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
        die "node $NODE not idle after ${TIMEOUT}s (state: ${state:-unknown})"
    fi
    sleep 0.5
done
timing start
sinfo >&2
