#!/usr/bin/env bash
# deps.sh - install what dlacc needs on Debian 12, only if something is missing.
set -euo pipefail
# chromium (headless) and graphviz: the report test renders report.html in a
# real browser and parses --emit dot output with dot (tests/report).
# gcc-aarch64-linux-gnu and qemu-user: the AOT test that cross-builds
# examples/digits for aarch64 and runs it under qemu (tests/aot, mode qemu).
pkgs=(build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libonnx-dev libxml2-dev
      llvm-dev clang libcunit1-dev libonnx-testdata jq gcc-aarch64-linux-gnu qemu-user
      chromium graphviz)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
