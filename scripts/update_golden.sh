#!/usr/bin/env bash
# Regenerates data/golden/chinchilla.json, the golden fit the test suite checks the bundled runs against
# (ctest: cli/check_bundled_golden, cli/check_test). Run it after a change that is meant to move the fit, and commit
# the new file together with that change; the diff of the golden file shows what moved.
#
# The golden records the fit of the bundled 240 runs with the default options, a 1,000-resample bootstrap (seed 1,
# 95% intervals) and predictions at 1e21, 1e23, 5.76e23 and 1e25 FLOPs; it is then checked once, intervals included.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SCALEPLAN_BUILD_DIR:-build}
scripts/build.sh scaleplan
golden=data/golden/chinchilla.json
"$build_dir/cli/scaleplan" fit --bootstrap=1000 --seed 1 --ci 0.95 --compute 1e21,1e23,5.76e23,1e25 \
  --save-golden "$golden" >/dev/null
"$build_dir/cli/scaleplan" check --golden "$golden" --check-intervals | tail -n 1
echo "wrote $golden"
