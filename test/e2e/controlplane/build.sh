#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, kubectl, etcd) from
# the Go module proxy, for the end-to-end tests, for each Kubernetes version of
# the test matrix.
#
# Usage:
#   build.sh [build] [VERSION...|all]
#                      build (or reuse) the binaries of each VERSION (default:
#                      KUBERNETES_DEFAULT; `all`: every pinned version, in order);
#                      prints one directory per version, so with one version the
#                      LAST line of stdout is the directory holding kube-apiserver,
#                      kubectl and etcd. All logging goes to stderr.
#   build.sh versions  print the pinned Kubernetes versions, one per line.
#   build.sh verify [VERSION...]
#                      only check that the wrapper modules agree with versions.env
#                      (default: all; needs the Go module proxy or a warm cache).
#   build.sh update    regenerate kube/<minor>/{go.mod,go.sum,tools.go} for every
#                      pinned version (removing those of versions no longer
#                      pinned) and etcd/go.mod+go.sum from versions.env (run after
#                      editing versions.env, then commit).
#
# Versions are pinned ONLY in versions.env. The binaries are cached in
#   ${CORDON_GUARD_CACHE:-$HOME/.cache/cordon-guard}/bin/k8s-<kube>-etcd-<etcd>/
# which is filled through a temporary directory and an atomic rename, so an
# existing directory is always complete; a second run builds nothing.
#
# Why wrapper modules: `go install k8s.io/kubernetes/cmd/...@v` (and etcd's
# server module) is refused because their go.mod carry replace directives. Each
# wrapper module kube/<minor>/ (kube/1.34/, kube/1.35/, ...) requires one
# k8s.io/kubernetes version and replaces each staging module (k8s.io/api,
# k8s.io/client-go, ...; required there as v0.0.0 => ./staging/...) with its
# published v0.<minor>.<patch>; it also copies kubernetes' godebug line(s). Every
# version has its own committed go.mod and go.sum: go.sum is the integrity pin of
# what is built, so it is reviewed and committed rather than produced on the fly.
# The directory is named after the minor (one version per minor in the matrix),
# so a patch update is a diff of go.mod/go.sum, not a rename. etcd/ just requires
# go.etcd.io/etcd/server/v3 (whose root package is the etcd main package); its
# sibling modules are required at real versions. One etcd serves every
# Kubernetes version (see versions.env).
#
# Environment:
#   CORDON_GUARD_CACHE  cache root (default $HOME/.cache/cordon-guard)
#   GO                  go command (default: `go` on PATH, else /usr/local/go/bin/go)
#   GOPROXY, GOMODCACHE, GOCACHE are honoured as usual.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_ROOT=$HERE/kube
ETCD_DIR=$HERE/etcd
KUBE_MODULE_ROOT=cordon-guard/test/e2e/controlplane/kube
ETCD_MODULE=cordon-guard/test/e2e/controlplane/etcd

log() { printf '[controlplane] %s\n' "$*" >&2; }
die() {
  printf '[controlplane] ERROR: %s\n' "$*" >&2
  exit 1
}

# --- versions.env -----------------------------------------------------------

KUBE_VERSION_RE='^v1\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$'

load_versions() {
  local file=$HERE/versions.env line key value v minors=' '
  [[ -f $file ]] || die "missing $file"
  KUBERNETES_VERSIONS='' KUBERNETES_DEFAULT='' ETCD_VERSION=''
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^([A-Z][A-Z0-9_]*)=([A-Za-z0-9.+,-]+)$ ]] ||
      die "versions.env: not a plain KEY=value line: '$line'"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    case $key in
      KUBERNETES_VERSIONS) KUBERNETES_VERSIONS=$value ;;
      KUBERNETES_DEFAULT) KUBERNETES_DEFAULT=$value ;;
      ETCD_VERSION) ETCD_VERSION=$value ;;
      *) die "versions.env: unknown key $key" ;;
    esac
  done <"$file"
  IFS=, read -r -a PINNED <<<"$KUBERNETES_VERSIONS"
  ((${#PINNED[@]} > 0)) || die "versions.env: KUBERNETES_VERSIONS is empty"
  for v in "${PINNED[@]}"; do
    [[ $v =~ $KUBE_VERSION_RE ]] ||
      die "versions.env: KUBERNETES_VERSIONS has '$v', which is not v1.<minor>.<patch>"
    # One version per minor: the wrapper module of a version lives in kube/1.<minor>/.
    [[ $minors != *" ${BASH_REMATCH[1]} "* ]] ||
      die "versions.env: KUBERNETES_VERSIONS pins two versions of minor 1.${BASH_REMATCH[1]}"
    minors+="${BASH_REMATCH[1]} "
  done
  is_pinned "$KUBERNETES_DEFAULT" ||
    die "versions.env: KUBERNETES_DEFAULT='$KUBERNETES_DEFAULT' is not one of KUBERNETES_VERSIONS ($KUBERNETES_VERSIONS)"
  [[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
    die "versions.env: ETCD_VERSION='$ETCD_VERSION' is not v3.<minor>.<patch>"
}

is_pinned() {
  local v
  for v in "${PINNED[@]}"; do [[ $v == "$1" ]] && return 0; done
  return 1
}

# Selects Kubernetes version $1 (which must be pinned) for the functions below.
select_kube() {
  is_pinned "$1" || die "Kubernetes '$1' is not pinned in versions.env (pinned: ${PINNED[*]})"
  [[ $1 =~ $KUBE_VERSION_RE ]]
  KUBERNETES_VERSION=$1
  KUBE_MAJOR=1
  KUBE_MINOR=${BASH_REMATCH[1]}
  # k8s.io/kubernetes v1.Y.Z is published together with the staging modules v0.Y.Z.
  STAGING_VERSION=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}${BASH_REMATCH[3]}
  KUBE_DIR=$KUBE_ROOT/1.$KUBE_MINOR
  KUBE_MODULE=$KUBE_MODULE_ROOT/1.$KUBE_MINOR
}

# The versions named on the command line ("all" or none: $1 decides), as VERSIONS.
select_versions() {
  local when_none=$1
  shift
  if (($# == 0)); then
    if [[ $when_none == all ]]; then VERSIONS=("${PINNED[@]}"); else VERSIONS=("$KUBERNETES_DEFAULT"); fi
  elif (($# == 1)) && [[ $1 == all ]]; then
    VERSIONS=("${PINNED[@]}")
  else
    VERSIONS=("$@")
  fi
  local v
  for v in "${VERSIONS[@]}"; do select_kube "$v"; done
}

# --- go environment ---------------------------------------------------------

setup_go() {
  if [[ -z ${GO:-} ]]; then
    if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
  fi
  command -v "$GO" >/dev/null 2>&1 || die "go not found (set GO=/path/to/go)"
  # Use exactly the installed toolchain, never download one; ignore any go.work;
  # static binaries; go.sum must already be complete (-mod=readonly); no VCS
  # stamping of the cordon-guard checkout (keeps builds reproducible).
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
  export GOFLAGS="-mod=readonly -buildvcs=false -trimpath"
  SCRATCH=$(mktemp -d)
}

# Temporary directories removed on exit (globals: the EXIT trap runs after the
# functions that set them have returned).
SCRATCH='' BUILD_TMP=''
trap 'rm -rf ${SCRATCH:+"$SCRATCH"} ${BUILD_TMP:+"$BUILD_TMP"}' EXIT

# Prints "<commit time RFC3339>|<git commit or empty>|<path of the module's go.mod>"
# for module $1 at version $2, as told by the module proxy (.info and .mod only).
module_info() {
  (cd "$SCRATCH" && GOFLAGS=-mod=mod "$GO" list -m \
    -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}|{{with .Origin}}{{.Hash}}{{end}}|{{.GoMod}}|{{.GoVersion}}' \
    "$1@$2") || die "cannot resolve $1@$2 through the Go module proxy"
}

# Staging modules of an upstream kubernetes go.mod: those replaced by ./staging/src/...
staging_modules() {
  awk '/=>[[:space:]]*\.\/staging\/src\// {
         sub(/^[[:space:]]*replace[[:space:]]+/, ""); print $1 }' "$1" | sort -u
}

# godebug line(s) of a go.mod, verbatim (single line or block form).
godebug_lines() {
  awk '/^godebug[[:space:]]*\(/ { blk = 1 }
       blk || /^godebug[[:space:]]/ { print }
       blk && /^\)/ { blk = 0 }' "$1"
}

# --- update: regenerate the wrapper modules from versions.env ----------------

# kube/<minor>/tools.go: the commands build.sh builds, so that `go mod tidy` keeps
# every module they need.
write_kube_tools() {
  cat >"$KUBE_DIR/tools.go" <<'GO'
// Code generated by ../../build.sh update. DO NOT EDIT.

//go:build tools

// Package tools records the Kubernetes commands that ../../build.sh builds, so that
// `go mod tidy` keeps every module they need in go.mod and go.sum. The file is
// never compiled (build tag "tools").
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
}

update_kube() {
  local info upstream_mod go_version m
  info=$(module_info k8s.io/kubernetes "$KUBERNETES_VERSION")
  upstream_mod=$(cut -d'|' -f3 <<<"$info")
  go_version=$(cut -d'|' -f4 <<<"$info")
  log "generating kube/1.$KUBE_MINOR/go.mod for k8s.io/kubernetes $KUBERNETES_VERSION (staging $STAGING_VERSION)"
  mkdir -p "$KUBE_DIR"
  write_kube_tools
  {
    echo "// Code generated by ../../build.sh update from ../../versions.env. DO NOT EDIT."
    echo
    echo "module $KUBE_MODULE"
    echo
    echo "go $go_version"
    echo
    godebug_lines "$upstream_mod"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "// k8s.io/kubernetes requires its staging modules as v0.0.0 and replaces them"
    echo "// with ./staging/src/...; use the published modules instead."
    echo "replace ("
    for m in $(staging_modules "$upstream_mod"); do
      printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"
    done
    echo ")"
  } >"$KUBE_DIR/go.mod"
  rm -f "$KUBE_DIR/go.sum"
  (cd "$KUBE_DIR" && GOFLAGS=-mod=mod "$GO" mod tidy) >&2
}

# kube/<minor>/ directories of versions no longer pinned.
stale_kube_dirs() {
  local d keep=' ' v
  for v in "${PINNED[@]}"; do
    select_kube "$v"
    keep+="$KUBE_DIR "
  done
  for d in "$KUBE_ROOT"/*/; do
    d=${d%/}
    [[ -d $d && $keep != *" $d "* ]] && echo "$d"
  done
  return 0
}

cmd_update() {
  local info go_version v d
  for v in "${PINNED[@]}"; do
    select_kube "$v"
    update_kube
  done
  for d in $(stale_kube_dirs); do
    log "removing ${d#"$HERE"/}: its Kubernetes minor is no longer pinned"
    rm -rf "$d"
  done

  info=$(module_info go.etcd.io/etcd/server/v3 "$ETCD_VERSION")
  go_version=$(cut -d'|' -f4 <<<"$info")
  log "generating etcd/go.mod for go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  {
    echo "// Code generated by ../build.sh update from ../versions.env. DO NOT EDIT."
    echo
    echo "module $ETCD_MODULE"
    echo
    echo "go $go_version"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  } >"$ETCD_DIR/go.mod"
  rm -f "$ETCD_DIR/go.sum"
  (cd "$ETCD_DIR" && GOFLAGS=-mod=mod "$GO" mod tidy) >&2
  cmd_verify
}

# --- verify: wrapper modules must agree with versions.env -------------------

# Lists "path version[ => path version]" for the build list of the module in $1.
build_list() {
  (cd "$1" && "$GO" list -m -f '{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}' all) ||
    die "cannot load the module graph of $1 (go.mod/go.sum incomplete? run: $0 update)"
}

# Checks kube/<minor>/ of the selected version; counts problems in ERRORS.
verify_kube() {
  local info upstream_mod list m want have where=kube/1.$KUBE_MINOR
  if [[ ! -f $KUBE_DIR/go.mod || ! -f $KUBE_DIR/go.sum || ! -f $KUBE_DIR/tools.go ]]; then
    log "$where/go.mod, go.sum or tools.go missing for Kubernetes $KUBERNETES_VERSION"
    ERRORS=$((ERRORS + 1))
    return 0
  fi
  if ! grep -qxF "module $KUBE_MODULE" "$KUBE_DIR/go.mod"; then
    log "$where/go.mod: the module is not $KUBE_MODULE"
    ERRORS=$((ERRORS + 1))
  fi
  info=$(module_info k8s.io/kubernetes "$KUBERNETES_VERSION")
  upstream_mod=$(cut -d'|' -f3 <<<"$info")
  list=$(build_list "$KUBE_DIR")
  if ! grep -qxF "k8s.io/kubernetes $KUBERNETES_VERSION" <<<"$list"; then
    log "$where/go.mod: k8s.io/kubernetes is '$(grep '^k8s.io/kubernetes ' <<<"$list" | cut -d' ' -f2- || true)', versions.env says $KUBERNETES_VERSION"
    ERRORS=$((ERRORS + 1))
  fi
  for m in $(staging_modules "$upstream_mod"); do
    have=$(grep "^$m " <<<"$list" || true)
    # Staging modules that kubernetes does not require (sample-*) are not in the
    # build list; the replace lines for them are harmless.
    [[ -z $have ]] && continue
    if [[ $have != *" => $m $STAGING_VERSION" ]]; then
      log "$where/go.mod: staging module $m must be replaced by $m $STAGING_VERSION (build list: '$have')"
      ERRORS=$((ERRORS + 1))
    fi
  done
  want=$(godebug_lines "$upstream_mod")
  have=$(godebug_lines "$KUBE_DIR/go.mod")
  if [[ $want != "$have" ]]; then
    log "$where/go.mod: godebug lines '$have' differ from k8s.io/kubernetes $KUBERNETES_VERSION: '$want'"
    ERRORS=$((ERRORS + 1))
  fi
}

verify_etcd() {
  local list m have
  if [[ ! -f $ETCD_DIR/go.mod || ! -f $ETCD_DIR/go.sum ]]; then
    log "etcd/go.mod or go.sum missing"
    ERRORS=$((ERRORS + 1))
    return 0
  fi
  list=$(build_list "$ETCD_DIR")
  if ! grep -qxF "go.etcd.io/etcd/server/v3 $ETCD_VERSION" <<<"$list"; then
    log "etcd/go.mod: go.etcd.io/etcd/server/v3 is '$(grep '^go.etcd.io/etcd/server/v3 ' <<<"$list" | cut -d' ' -f2 || true)', versions.env says $ETCD_VERSION"
    ERRORS=$((ERRORS + 1))
  fi
  while read -r m have _; do
    [[ $have == "$ETCD_VERSION" || $m == go.etcd.io/etcd/server/v3 ]] && continue
    log "etcd/go.mod: $m is $have, expected $ETCD_VERSION like go.etcd.io/etcd/server/v3"
    ERRORS=$((ERRORS + 1))
  done < <(grep '^go\.etcd\.io/etcd/' <<<"$list")
}

# Verifies the wrapper modules of the given versions (default: all) and etcd/.
cmd_verify() {
  local v d
  local -a VERSIONS=() # cmd_build's list stays as it is when build_one verifies
  ERRORS=0
  select_versions all "$@"
  for v in "${VERSIONS[@]}"; do
    select_kube "$v"
    verify_kube
  done
  for d in $(stale_kube_dirs); do
    log "${d#"$HERE"/}: no pinned Kubernetes version has this minor (stale; run: $0 update)"
    ERRORS=$((ERRORS + 1))
  done
  verify_etcd
  ((ERRORS == 0)) || die "wrapper modules disagree with versions.env ($ERRORS problem(s)); run: $0 update"
  log "wrapper modules agree with versions.env (kubernetes ${VERSIONS[*]}, etcd $ETCD_VERSION)"
}

# --- build ------------------------------------------------------------------

have_binaries() { [[ -x $1/kube-apiserver && -x $1/kubectl && -x $1/etcd ]]; }

# Builds (or reuses) the binaries of the selected Kubernetes version; prints their directory.
build_one() {
  local cache_root=${CORDON_GUARD_CACHE:-$HOME/.cache/cordon-guard}
  local out_root=$cache_root/bin
  local final=$out_root/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION
  if have_binaries "$final"; then
    log "up to date: $final"
    echo "$final"
    return 0
  fi

  [[ -n $SCRATCH ]] || setup_go
  mkdir -p "$out_root"
  # Serialize concurrent builds of the same cache (e.g. parallel test workers),
  # one version at a time.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$out_root/.build.lock"
    flock 9
    if have_binaries "$final"; then
      log "built by a concurrent run: $final"
      echo "$final"
      exec 9>&-
      return 0
    fi
  fi

  local selected=$KUBERNETES_VERSION
  cmd_verify "$selected"
  select_kube "$selected"

  local info build_date commit etcd_commit start=$SECONDS step
  BUILD_TMP=$(mktemp -d "$out_root/.k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION.tmp.XXXXXX")
  local tmp=$BUILD_TMP

  # Version stamps as Kubernetes' hack/lib/version.sh sets them. The build date
  # is the release commit's time (from the proxy), which keeps builds reproducible.
  info=$(module_info k8s.io/kubernetes "$KUBERNETES_VERSION")
  build_date=$(cut -d'|' -f1 <<<"$info")
  commit=$(cut -d'|' -f2 <<<"$info")
  local kube_ldflags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION"
    kube_ldflags+=" -X $pkg.gitMajor=$KUBE_MAJOR"
    kube_ldflags+=" -X $pkg.gitMinor=$KUBE_MINOR"
    kube_ldflags+=" -X $pkg.gitCommit=$commit"
    kube_ldflags+=" -X $pkg.gitTreeState=clean"
    kube_ldflags+=" -X $pkg.buildDate=$build_date"
  done
  log "building kube-apiserver and kubectl $KUBERNETES_VERSION with $("$GO" version) (a cold build takes a while)"
  step=$SECONDS
  (cd "$KUBE_DIR" && "$GO" build -ldflags "$kube_ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl) >&2
  log "kube-apiserver and kubectl $KUBERNETES_VERSION built in $((SECONDS - step))s"

  # etcd's version.Version is a literal in the source; only the git SHA is stamped.
  info=$(module_info go.etcd.io/etcd/server/v3 "$ETCD_VERSION")
  etcd_commit=$(cut -d'|' -f2 <<<"$info")
  local etcd_ldflags="-s -w"
  [[ -n $etcd_commit ]] && etcd_ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${etcd_commit:0:8}"
  log "building etcd $ETCD_VERSION"
  step=$SECONDS
  (cd "$ETCD_DIR" && "$GO" build -ldflags "$etcd_ldflags" -o "$tmp/etcd" go.etcd.io/etcd/server/v3) >&2
  log "etcd $ETCD_VERSION built in $((SECONDS - step))s"

  # The binaries must report the pinned versions.
  local v
  v=$("$tmp/kubectl" version --client -o json 2>/dev/null | grep '"gitVersion"' || true)
  [[ $v == *"\"$KUBERNETES_VERSION\""* ]] || die "kubectl reports '$v', expected $KUBERNETES_VERSION"
  v=$("$tmp/kube-apiserver" --version 2>/dev/null || true)
  [[ $v == "Kubernetes $KUBERNETES_VERSION" ]] || die "kube-apiserver reports '$v', expected Kubernetes $KUBERNETES_VERSION"
  v=$("$tmp/etcd" --version 2>/dev/null | sed -n 1p || true)
  [[ $v == "etcd Version: ${ETCD_VERSION#v}" ]] || die "etcd reports '$v', expected ${ETCD_VERSION#v}"

  {
    echo "KUBERNETES_VERSION=$KUBERNETES_VERSION"
    echo "KUBERNETES_COMMIT=$commit"
    echo "ETCD_VERSION=$ETCD_VERSION"
    echo "ETCD_COMMIT=$etcd_commit"
    echo "GO_VERSION=$("$GO" env GOVERSION)"
  } >"$tmp/BUILDINFO"
  chmod 0755 "$tmp"
  # Atomic publish: the final directory either does not exist or is complete.
  mv -T "$tmp" "$final" 2>/dev/null || have_binaries "$final" || die "cannot move $tmp to $final"
  rm -rf "$tmp"
  BUILD_TMP=''
  exec 9>&- # release the lock before the next version
  log "built in $((SECONDS - start))s: $final"
  echo "$final"
}

# Builds the given versions (default: KUBERNETES_DEFAULT; all: every pinned), in order.
cmd_build() {
  local v
  select_versions default "$@"
  for v in "${VERSIONS[@]}"; do
    select_kube "$v"
    build_one
  done
}

# --- main -------------------------------------------------------------------

load_versions
command=${1:-build}
(($# > 0)) && shift
case $command in
  build) cmd_build "$@" ;;
  versions) printf '%s\n' "${PINNED[@]}" ;;
  verify) setup_go && cmd_verify "$@" ;;
  update)
    (($# == 0)) || die "update takes no version: it regenerates the modules of every pinned version"
    setup_go && cmd_update
    ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2 ;;
  *) die "unknown command '$command' (expected build, versions, verify or update)" ;;
esac
