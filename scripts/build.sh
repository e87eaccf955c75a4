#!/usr/bin/env bash
# Configures (once) and builds scaleplan in build/ with warnings as errors. Extra arguments are build targets.
# CUDA is used when nvcc is found in /usr/local/cuda/bin; the GUI when Qt 6 is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SCALEPLAN_BUILD_DIR:-build}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCALEPLAN_WERROR=ON >/dev/null
fi
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build_dir" --parallel "$(nproc)" "${targets[@]}"
