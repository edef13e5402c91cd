#!/usr/bin/env bash
# Installs what the Helm chart's tests (test/deploy/, chart in deploy/helm/dtq) need, into
# var/tools of the checkout: helm, built from its Go module; the Kubernetes JSON schemas (the
# strict ones, where an unknown field is an error) from the PyPI package kubernetes-validate; and
# the CRDs of KEDA and ECK from their Go modules. The Redis operator's CRD is not served by a
# registry this project reaches: it is kept in test/deploy/crds/.
# Idempotent: a stamp file names the versions installed; nothing is fetched when it matches.
# Needs go and python3 (with pip). Run by scripts/install-system-deps.sh --with-test-tools.
# Outputs: var/tools/bin/helm, var/tools/k8s-schemas/{kubernetes/<version>-local-strict,crds}/.
set -euo pipefail

HELM_MODULE=helm.sh/helm/v4
HELM_VERSION=v4.3.2
K8S_SCHEMAS_PACKAGE=kubernetes-validate==1.37.0
K8S_SCHEMAS_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest in the package.
K8S_VERSIONS=(v1.33.0 v1.37.0)
KEDA_MODULE=github.com/kedacore/keda/v2@v2.21.0
ECK_MODULE=github.com/elastic/cloud-on-k8s/v3@v3.5.0

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/var/tools"
schemas="$tools/k8s-schemas"
stamp="$schemas/VERSIONS"
want="helm $HELM_VERSION; $K8S_SCHEMAS_PACKAGE ${K8S_VERSIONS[*]}; $KEDA_MODULE; $ECK_MODULE"

for command in go python3; do
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "dtq: the Helm chart's tests need $command to install their tools; install it, then run $0 again" >&2
    exit 1
  fi
done

# The module version the binary was built from (`helm version` prints only major.minor for a go install).
if [ "$(go version -m "$tools/bin/helm" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$HELM_VERSION" ]; then
  echo "dtq: building helm $HELM_VERSION into var/tools/bin (go install, a few minutes the first time)"
  mkdir -p "$tools/bin"
  GOBIN="$tools/bin" go install "$HELM_MODULE/cmd/helm@$HELM_VERSION"
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

echo "dtq: fetching the Kubernetes and CRD schemas into var/tools/k8s-schemas"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
rm -rf "$schemas"
mkdir -p "$schemas/kubernetes" "$schemas/crds"

python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$scratch" "$K8S_SCHEMAS_PACKAGE"
wheel="$(ls "$scratch"/*.whl)"
echo "$K8S_SCHEMAS_SHA256  $wheel" | sha256sum --check --quiet
python3 - "$wheel" "$schemas/kubernetes" "${K8S_VERSIONS[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, *versions = sys.argv[1:]
prefix = 'kubernetes_validate/kubernetes-json-schema/'
with zipfile.ZipFile(wheel) as archive:
    for version in versions:
        folder = f'{prefix}{version}-local-strict/'
        names = [n for n in archive.namelist() if n.startswith(folder) and n.endswith('.json')]
        if not names:
            sys.exit(f'dtq: {wheel} has no schemas for Kubernetes {version}')
        target = os.path.join(dest, f'{version}-local-strict')
        os.makedirs(target, exist_ok=True)
        for name in names:
            with open(os.path.join(target, name[len(folder):]), 'wb') as out:
                out.write(archive.read(name))
PY

module_dir() {
  # GOFLAGS=-mod=mod: outside any module; GOTOOLCHAIN=local: a module asking for a newer Go is
  # still downloaded (only its files are read here), never a toolchain.
  GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))'
}
keda="$(module_dir "$KEDA_MODULE")"
eck="$(module_dir "$ECK_MODULE")"
cp "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml" "$schemas/crds/"
cp "$eck/config/crds/v1/resources/elasticsearch.k8s.elastic.co_elasticsearches.yaml" \
  "$eck/config/crds/v1/resources/kibana.k8s.elastic.co_kibanas.yaml" "$schemas/crds/"
chmod -R u+w "$schemas/crds"

echo "$want" >"$stamp"
echo "dtq: installed $want"
