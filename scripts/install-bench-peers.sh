#!/usr/bin/env bash
# Installs the shippers `npm run bench -- shipper` races dtq-ship against, idempotently:
#   - rsyslog with imfile and omelasticsearch: Debian's rsyslog and rsyslog-elasticsearch
#     (apt-get as root; otherwise the command to run is printed). The packages' own daemon is
#     not used: the bench runs rsyslogd in the foreground on a config of its own.
#   - the OpenTelemetry Collector built with the Collector Builder (ocb) from Go modules, as
#     bench/peers/otelcol-builder.yaml pins them, into var/tools/otelcol/otelcol-dtq/ (needs
#     `go`; about 10 minutes of compiling on 2 cores the first time, nothing after).
# A peer that cannot be installed is reported on stderr ("missing: …") and the script goes on;
# the bench then skips that peer's rows and says why. Usage: scripts/install-bench-peers.sh
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/var/tools"
manifest="$root/bench/peers/otelcol-builder.yaml"
# Read from the manifest, so the pin lives in one place.
release="$(sed -n 's/^  version: *//p' "$manifest")"
collector="$tools/otelcol/otelcol-dtq/otelcol-dtq"
stamp="$tools/otelcol/manifest.sha256"

rsyslog_ok() {
  [ -x /usr/sbin/rsyslogd ] &&
    ls /usr/lib/*/rsyslog/imfile.so /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1
}

if rsyslog_ok; then
  echo "bench peers: rsyslog $(/usr/sbin/rsyslogd -v | sed -n '1s/^rsyslogd  *\([^ ,]*\).*/\1/p') with imfile and omelasticsearch already installed"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "bench peers: installing rsyslog and rsyslog-elasticsearch with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends rsyslog rsyslog-elasticsearch >/dev/null ||
    echo "missing: rsyslog, rsyslog-elasticsearch (apt-get install failed)" >&2
else
  echo "missing: rsyslog, rsyslog-elasticsearch (install them with: sudo apt-get install -y rsyslog rsyslog-elasticsearch)" >&2
fi

want="$(sha256sum "$manifest" | cut -d' ' -f1)"
if [ -x "$collector" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "bench peers: OpenTelemetry Collector $release (ocb build) already at $collector"
elif ! command -v go >/dev/null; then
  echo "missing: go (the Go toolchain builds the OpenTelemetry Collector with ocb; install Go, then run $0)" >&2
else
  echo "bench peers: building the OpenTelemetry Collector $release with ocb into $tools/otelcol (first time: minutes)"
  mkdir -p "$tools/bin" "$tools/otelcol"
  if GOBIN="$tools/bin" go install "go.opentelemetry.io/collector/cmd/builder@v$release" &&
    (cd "$tools/otelcol" && "$tools/bin/builder" --config "$manifest" >build.log 2>&1); then
    echo "$want" >"$stamp"
    echo "bench peers: built $collector"
  else
    echo "missing: OpenTelemetry Collector (ocb build failed; see $tools/otelcol/build.log)" >&2
  fi
fi
exit 0
