#!/usr/bin/env bash
# Builds the vX.Y.Z-nitro image (deploy/docker/Dockerfile.nitro) in its three steps and keeps the EIF's
# measurements (out/describe-eif.json: PCR0, PCR1, PCR2, PCR8) as the release's build artefact.
#   deploy/docker/build-nitro.sh <tag, e.g. v0.1.0> <dir holding signing_cert.pem and signing_key.pem>
set -euo pipefail
cd "$(dirname "$0")/../.."
tag="$1"; signing="$(cd "$2" && pwd)"
repo="${IMAGE_REPOSITORY:-ghcr.io/unforeseen-consequences/containment-chamber}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
mkdir -p out
docker build -f deploy/docker/Dockerfile.nitro --target enclave --build-arg SOURCE_DATE_EPOCH -t "$repo:$tag-enclave" .
docker build -f deploy/docker/Dockerfile.nitro --target eif-builder -t containment-chamber-eif-builder .
docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD/out:/out" -v "$signing:/signing:ro" \
  containment-chamber-eif-builder "$repo:$tag-enclave"
docker build -f deploy/docker/Dockerfile.nitro --target parent --build-arg SOURCE_DATE_EPOCH \
  --build-context eif=out -t "$repo:$tag-nitro" .
jq -r '.Measurements | "PCR0 \(.PCR0)\nPCR8 \(.PCR8)"' out/describe-eif.json
