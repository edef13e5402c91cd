#!/usr/bin/env bash
# Installs the system packages dtq runs on (Debian/Ubuntu): redis-server and nginx, plus the
# JDK and Maven that fetch and run Elasticsearch, python3 with its venv module (Debian's
# python3-venv) for the FastAPI + Celery workload and the Python tests, tmux for the
# explorer's terminal test and chromium for its --html page test. As root it installs what is missing with apt-get, saying so first;
# otherwise it prints the exact command to run.
# Usage: scripts/install-system-deps.sh [--with-test-tools | --workload | --python]
# (--workload: only what the local stack runs, redis-server and nginx; used by `npm run demo`;
# --python: only python3 and python3-venv; used by `npm run workload -- --system celery`).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
# `python3 -m venv` needs ensurepip, which Debian ships apart in python3-venv.
need_python() {
  have python3 || need+=(python3)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
}
if [ "${1:-}" = "--python" ]; then
  need_python
else
  have redis-server || need+=(redis-server)
  have nginx || need+=(nginx)
fi
if [ "${1:-}" != "--workload" ] && [ "${1:-}" != "--python" ]; then
  need_python
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
# The Helm chart's tests: helm and the Kubernetes and CRD schemas, into var/tools (not apt),
# after the packages above (it needs python3's pip).
k8s_test_tools() {
  if [ "${1:-}" = "--with-test-tools" ]; then
    bash "$(dirname "$0")/install-k8s-test-tools.sh"
  fi
}

if [ ${#need[@]} -eq 0 ]; then
  k8s_test_tools "${1:-}"
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
k8s_test_tools "${1:-}"
