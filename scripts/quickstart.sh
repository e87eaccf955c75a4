#!/usr/bin/env bash
# Installs what is missing, builds, fits the bundled Chinchilla runs and prints the compute-optimal plan for
# Gopher's budget (5.76e23 FLOPs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh scaleplan >/dev/null
build_dir=${SCALEPLAN_BUILD_DIR:-build}
"$build_dir/cli/scaleplan" fit
echo
"$build_dir/cli/scaleplan" plan --compute 5.76e23
