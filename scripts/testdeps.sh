#!/usr/bin/env bash
# Prepares one thing the tests need, so `make test` passes on a fresh Debian
# machine by itself. Each step does nothing when its thing is already there.
#
#   scripts/testdeps.sh postgres   start PostgreSQL at 127.0.0.1:5432 when it is down
#   scripts/testdeps.sh redis      start Redis at 127.0.0.1:6379 when it is down
#   scripts/testdeps.sh node       install Node.js and npm (Debian packages) when missing
#   scripts/testdeps.sh chromium   install Chromium (Debian package) when missing
#
# The Makefile's deps-* targets call it; it is safe to run by hand.
set -euo pipefail

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'testdeps: %s\n' "$*" >&2; exit 1; }

# apt_install installs Debian packages, as root or through sudo.
apt_install() {
  local run=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing $* needs root: run 'sudo apt-get install $*' and then 'make test' again"
    run=(sudo)
  fi
  command -v apt-get >/dev/null || die "$* is missing and this is not a Debian-like system: install $* with your package manager, then run 'make test' again"
  log "installing $* (Debian packages)"
  "${run[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

case "${1:-}" in
postgres)
  # The tests take WXGATE_TEST_POSTGRES_URL; a URL elsewhere than the local
  # default is the caller's server to run.
  case "${WXGATE_TEST_POSTGRES_URL:-}" in
  "" | *@127.0.0.1:5432/* | *@localhost:5432/*) ;;
  *) exit 0 ;;
  esac
  command -v pg_isready >/dev/null || apt_install postgresql
  pg_up && exit 0
  command -v pg_ctlcluster >/dev/null || die "PostgreSQL at 127.0.0.1:5432 is down and pg_ctlcluster is missing: start PostgreSQL (trust auth, database 'test'), or set WXGATE_TEST_POSTGRES_URL to a server the tests may use"
  log "PostgreSQL is down; starting it"
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$ver" ] || die "no PostgreSQL cluster in /etc/postgresql: create one (pg_createcluster) or set WXGATE_TEST_POSTGRES_URL"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for pg_up || die "PostgreSQL at 127.0.0.1:5432 did not come up: see /var/log/postgresql/"
  ;;
redis)
  case "${WXGATE_TEST_REDIS_URL:-}" in
  "" | redis://127.0.0.1:6379/* | redis://localhost:6379/*) ;;
  *) exit 0 ;;
  esac
  command -v redis-cli >/dev/null || apt_install redis-server
  redis_up && exit 0
  log "Redis is down; starting it"
  dir=/var/lib/redis
  [ -w "$dir" ] || dir=$(mktemp -d)
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/wxgate-test.log" || true
  wait_for redis_up || die "Redis at 127.0.0.1:6379 did not come up: see $dir/wxgate-test.log"
  ;;
node)
  command -v node >/dev/null && command -v npm >/dev/null && exit 0
  apt_install nodejs npm
  ;;
chromium)
  for b in chromium chromium-browser google-chrome-stable google-chrome; do
    command -v "$b" >/dev/null && exit 0
  done
  apt_install chromium
  ;;
*)
  die "usage: $0 postgres|redis|node|chromium"
  ;;
esac
