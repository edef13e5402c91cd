#!/usr/bin/env bash
# Installs the system packages dtq runs on (Debian/Ubuntu): redis-server and nginx, plus the
# JDK and Maven that fetch and run Elasticsearch, tmux for the explorer's terminal test and
# chromium for its --html page test.
# As root it installs what is missing with apt-get, saying so first; otherwise it prints the
# exact command to run. Usage: scripts/install-system-deps.sh [--with-test-tools | --workload]
# (--workload: only what the local stack runs, redis-server and nginx; used by `npm run demo`).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have redis-server || need+=(redis-server)
have nginx || need+=(nginx)
if [ "${1:-}" != "--workload" ]; then
  have java || need+=(openjdk-17-jre-headless)
  have mvn || need+=(maven)
  # Elasticsearch: unzip unpacks the distribution; setpriv (util-linux) runs it as a non-root user.
  have unzip || need+=(unzip)
  have setpriv || need+=(util-linux)
fi
if [ "${1:-}" = "--with-test-tools" ]; then
  have tmux || need+=(tmux)
  have chromium || need+=(chromium)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "dtq needs these system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi

echo "dtq: installing missing system packages with apt-get: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "dtq: installed ${need[*]}"
