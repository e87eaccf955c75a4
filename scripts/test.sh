#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
ctest --test-dir "${SCALEPLAN_BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)"
