#!/usr/bin/env bash
# Smoke test of the control plane built by build.sh: starts etcd and
# kube-apiserver on free loopback ports in a temporary directory, waits for
# /readyz, runs `kubectl version` and `kubectl get ns`, then cleans up.
#
# It also documents the exact flags the end-to-end harness uses.
#
# Usage: smoke.sh [BIN_DIR]   (default: the directory printed by build.sh)
# Needs: bash, openssl. Ports are picked among free ones on 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[smoke] %s\n' "$*" >&2; }
die() {
  printf '[smoke] ERROR: %s\n' "$*" >&2
  exit 1
}

BIN_DIR=${1:-$("$HERE/build.sh" | tail -n1)}
for b in etcd kube-apiserver kubectl; do
  [[ -x $BIN_DIR/$b ]] || die "$BIN_DIR/$b missing; run build.sh"
done
command -v openssl >/dev/null || die "openssl is needed to make the service-account key"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cordon-guard-smoke.XXXXXX")
ETCD_PID='' APISERVER_PID=''
cleanup() {
  local rc=$?
  # Only the processes this script started, by pid.
  local pid
  for pid in $APISERVER_PID $ETCD_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true # exits 143 on SIGTERM
  done
  if ((rc != 0)); then
    log "failed (exit $rc); last lines of the logs:"
    tail -n 30 "$WORK/etcd.log" "$WORK/kube-apiserver.log" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port on 127.0.0.1 that nothing listens on (racy, but good enough for a test:
# a clash shows up as a startup failure).
used_ports=' '
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    [[ $used_ports == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}
ETCD_CLIENT_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
APISERVER_PORT=$(free_port)

# --- etcd -------------------------------------------------------------------
# A single member with its own data dir; the peer port is set too, so that two
# instances never fight over the default 2380. --unsafe-no-fsync: test data only.
ETCD_URL=http://127.0.0.1:$ETCD_CLIENT_PORT
"$BIN_DIR/etcd" \
  --name=default \
  --data-dir="$WORK/etcd-data" \
  --listen-client-urls="$ETCD_URL" \
  --advertise-client-urls="$ETCD_URL" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level=warn \
  >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!

# Wait for etcd's /health (plain HTTP over bash's /dev/tcp: no curl needed), so
# the apiserver does not start with a burst of connection errors.
etcd_healthy() {
  local reply
  reply=$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$ETCD_CLIENT_PORT" || exit 1
    printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    timeout 5 cat <&3
  ) || return 1
  [[ $reply == *'"health":"true"'* ]]
}
start=$SECONDS
until etcd_healthy; do
  kill -0 "$ETCD_PID" 2>/dev/null || die "etcd exited"
  ((SECONDS - start < 30)) || die "etcd not healthy after 30s"
  sleep 0.2
done

# --- credentials --------------------------------------------------------------
# Static token file: token,user,uid,"group[,group...]". system:masters is
# allowed everything by RBAC without any binding.
ADMIN_TOKEN=$(openssl rand -hex 32)
printf '%s,admin,admin,"system:masters"\n' "$ADMIN_TOKEN" >"$WORK/tokens.csv"
# Key pair for signing (private) and verifying (public) service-account tokens.
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
openssl rsa -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub" 2>/dev/null

# --- kube-apiserver -------------------------------------------------------------
# --cert-dir: no --tls-cert-file given, so the apiserver writes a self-signed
#   CA + serving certificate (SANs: IP 127.0.0.1, IP 10.0.0.1, DNS kubernetes,
#   kubernetes.default, kubernetes.default.svc; NOT localhost) to
#   $WORK/pki/apiserver.crt (leaf followed by its CA) and apiserver.key; that
#   file serves as the client's certificate-authority. It appears a moment
#   after the process starts, so wait for it.
# --disable-admission-plugins=ServiceAccount: there is no controller-manager to
#   create the "default" service accounts, so pods would otherwise be rejected.
# --endpoint-reconciler-type=none: the Endpoints of the "kubernetes" service may
#   not hold a loopback address, so with --advertise-address=127.0.0.1 the default
#   reconciler logs "unable to sync kubernetes service" every few seconds.
# Admission webhooks (Validating/MutatingAdmissionWebhook) stay enabled by
# default and may use clientConfig.url https://127.0.0.1:<port>/... with a
# caBundle: the default egress selector dials directly, and loopback addresses
# are never sent through HTTPS_PROXY. (Checked with a ValidatingWebhookConfiguration
# calling a webhook server on 127.0.0.1 while writing this script.)
"$BIN_DIR/kube-apiserver" \
  --etcd-servers="$ETCD_URL" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$APISERVER_PORT" \
  --cert-dir="$WORK/pki" \
  --token-auth-file="$WORK/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$WORK/sa.pub" \
  --service-account-signing-key-file="$WORK/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  --endpoint-reconciler-type=none \
  >"$WORK/kube-apiserver.log" 2>&1 &
APISERVER_PID=$!

# --- kubeconfig -------------------------------------------------------------------
export KUBECONFIG=$WORK/kubeconfig
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $WORK/pki/apiserver.crt
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
contexts:
- name: smoke
  context: {cluster: smoke, user: admin}
current-context: smoke
EOF

log "etcd $ETCD_URL (pid $ETCD_PID), kube-apiserver https://127.0.0.1:$APISERVER_PORT (pid $APISERVER_PID), dir $WORK"
start=$SECONDS
until [[ -f $WORK/pki/apiserver.crt ]] &&
  [[ $("$BIN_DIR/kubectl" get --raw /readyz 2>/dev/null) == ok ]]; do
  kill -0 "$ETCD_PID" 2>/dev/null || die "etcd exited"
  kill -0 "$APISERVER_PID" 2>/dev/null || die "kube-apiserver exited"
  ((SECONDS - start < 90)) || die "kube-apiserver not ready after 90s"
  sleep 0.5
done
log "kube-apiserver ready after $((SECONDS - start))s"

"$BIN_DIR/kubectl" version
"$BIN_DIR/kubectl" get ns
[[ $("$BIN_DIR/kubectl" auth can-i '*' '*') == yes ]] || die "admin token is not cluster-admin"
"$BIN_DIR/etcd" --version | sed -n 1p # sed, not head: no SIGPIPE under pipefail
log "OK"
