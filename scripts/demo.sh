#!/usr/bin/env bash
# demo.sh - the main job: install what is missing, build, then compile the digits CNN
# from ../shared/models for the default target (dla-edge), quantizing it to int8 with its
# calibration inputs, and run its 397 labelled test images on the DLA simulator: prints
# the accuracy, the cycle figures and a bit-exact check against the integer reference.
# Then the ahead-of-time path: install into build/stage and build examples/digits
# with its Makefile as a user would (the installed dlacc writes digits.o/.h/.dla,
# pkg-config gives libdlart), and run the application: accuracy and cycles again.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/deps.sh"
"$src/scripts/build.sh" "$src/build"
models=${DLA_SHARED_DIR:-$src/../shared}/models
if [ ! -d "$models" ]; then
  echo "demo: $models is absent; put the shared/ folder beside the checkout" >&2
  exit 1
fi
m=$models/digits_cnn
out=$src/build/demo
mkdir -p "$out/aot"
set -x
"$src/build/bin/dlacc" check "$m/model.onnx" --input-shape input=397,1,8,8
"$src/build/bin/dlacc" "$m/model.onnx" -o "$out/digits" --calib "$m/calib" --input-shape input=1,1,8,8
"$src/build/bin/dlacc" objdump "$out/digits.dla" > "$out/digits.objdump.txt"
head -n 40 "$out/digits.objdump.txt"   # (a file, not a pipe: head closing early would be SIGPIPE under pipefail)
"$src/build/bin/dlacc" run "$m/model.onnx" --calib "$m/calib" --input-shape input=397,1,8,8 \
    --input "$m/dataset/test_images.pb" --labels "$m/dataset/test_labels.pb" \
    --output "$out/digits_out.pb" --stats-json "$out/digits_stats.json" --verify
cmake --install "$src/build" --prefix "$src/build/stage" > /dev/null
pc=$(dirname "$(find "$src/build/stage" -name dlart.pc | head -n 1)")
PKG_CONFIG_PATH=$pc make -s -f "$src/examples/digits/Makefile" run O="$out/aot" DLACC="$src/build/stage/bin/dlacc"
