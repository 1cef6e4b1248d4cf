#!/bin/sh
# Helm post-renderer: adds pgpool-user-sync to the chart's output with the Component in this folder.
#   helm install pg <postgresql-ha chart> -n databases -f values.yaml \
#     --post-renderer ./post-renderer.sh --post-renderer-args databases
# Argument: the release namespace (the sync's ServiceAccount, Role and ConfigMaps go there).
# Needs kubectl 1.27+ (kustomize v5).
set -eu
namespace=${1:?usage: post-renderer.sh NAMESPACE}
recipe=$(cd "$(dirname "$0")" && pwd)
# Beside the recipe's folder: kustomize takes a component by relative path only, and not from a
# folder that contains the kustomization using it.
work=$(mktemp -d "$(dirname "$recipe")/.pgpool-user-sync-render.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/chart-output.yaml"
cat > "$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources:
  - chart-output.yaml
components:
  - ../$(basename "$recipe")
YAML
kubectl kustomize "$work"
