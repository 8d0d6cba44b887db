#!/usr/bin/env bash
# demo.sh - the main job: install what is missing, build, and run dlacc on a zoo model.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/deps.sh"
"$src/scripts/build.sh" "$src/build"
models=${DLA_SHARED_DIR:-$src/../shared}/models
if [ ! -d "$models" ]; then
  echo "demo: $models is absent; put the shared/ folder beside the checkout" >&2
  exit 1
fi
set -x
"$src/build/bin/dlacc" check "$models/digits_cnn/model.onnx" --input-shape input=1,1,8,8
