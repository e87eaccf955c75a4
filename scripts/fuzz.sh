#!/usr/bin/env bash
# Fuzzes every reader of user input with libFuzzer (see tests/fuzz/README.md):
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [--only NAME]... [--merge]
# Configures build-fuzz with clang, coverage instrumentation, ASan and UBSan (SCALEPLAN_FUZZ=ON), builds the fuzz
# targets only, and runs each in turn for SECONDS_PER_TARGET (default 60), one process, on a scratch copy of its seed
# corpus and regressions (build-fuzz/fuzz-run/NAME/corpus; the repository's corpus is not touched). Crash, timeout
# and out-of-memory inputs go to build-fuzz/fuzz-run/NAME/crashes. Prints executions, coverage and crashes per
# target and exits 1 when any target crashed.
#   --only NAME  fuzz only this target (csv_runs, dictionary_runs, units, fit_json, golden, hardware_profile,
#                hardware_catalogue, session); may be repeated
#   --merge      afterwards, add the scratch inputs that reach new coverage to tests/fuzz/corpus/NAME (review and
#                commit them by hand)
# Environment: SCALEPLAN_FUZZ_BUILD_DIR (default build-fuzz), SCALEPLAN_FUZZ_GUI=OFF to leave out the gui library
# (and the session target), SCALEPLAN_FUZZ_RSS_MB (default 2048).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
merge=0
only=()
while (($#)); do
  case $1 in
    --merge) merge=1 ;;
    --only) only+=("${2:?--only needs a target name}"); shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    '' | *[!0-9]*) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) seconds=$1 ;;
  esac
  shift
done

build_dir=${SCALEPLAN_FUZZ_BUILD_DIR:-build-fuzz}
rss_mb=${SCALEPLAN_FUZZ_RSS_MB:-2048}
fuzz_dir=tests/fuzz
if ! command -v clang++ >/dev/null || ! command -v ninja >/dev/null; then
  echo "fuzz.sh: needs clang (with libFuzzer) and ninja: apt-get install clang ninja-build" >&2
  exit 2
fi

# Configure (once with clang; again cheaply on later runs) and build the fuzz targets only.
if [[ ! -f $build_dir/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCALEPLAN_FUZZ=ON \
    -DSCALEPLAN_WERROR=ON -DSCALEPLAN_BUILD_TESTS=ON -DSCALEPLAN_BUILD_BENCH=OFF -DSCALEPLAN_WITH_CUDA=OFF \
    -DSCALEPLAN_WITH_GUI="${SCALEPLAN_FUZZ_GUI:-ON}" >/dev/null
else
  cmake -S . -B "$build_dir" -DSCALEPLAN_FUZZ=ON -DSCALEPLAN_WITH_GUI="${SCALEPLAN_FUZZ_GUI:-ON}" >/dev/null
fi
if ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' "$build_dir/CMakeCache.txt"; then
  echo "fuzz.sh: $build_dir was configured with another compiler; remove it or set SCALEPLAN_FUZZ_BUILD_DIR" >&2
  exit 2
fi

for name in "${only[@]}"; do
  if [[ ! -f $fuzz_dir/${name}_fuzz.cc ]]; then
    echo "fuzz.sh: no fuzz target '$name' (see --help)" >&2
    exit 2
  fi
done
names=()
for source in "$fuzz_dir"/*_fuzz.cc; do
  name=$(basename "$source" _fuzz.cc)
  if ((${#only[@]})) && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
  if ! ninja -C "$build_dir" -t query "${name}_fuzz" >/dev/null 2>&1; then
    echo "fuzz.sh: no target ${name}_fuzz in this build (the session target needs the GUI, Qt 6): skipped"
    continue
  fi
  names+=("$name")
done
if ((${#names[@]} == 0)); then
  echo "fuzz.sh: nothing to fuzz" >&2
  exit 2
fi
targets=()
for name in "${names[@]}"; do targets+=(--target "${name}_fuzz"); done
cmake --build "$build_dir" --parallel "$(nproc)" "${targets[@]}"

max_len_of() {
  case $1 in
    csv_runs | dictionary_runs) echo 1048576 ;;  # whole files: a few thousand runs
    units) echo 256 ;;
    *) echo 65536 ;;
  esac
}
dict_of() {
  case $1 in
    csv_runs | dictionary_runs) echo "$fuzz_dir/csv.dict" ;;
    units) echo "$fuzz_dir/units.dict" ;;
    *) echo "$fuzz_dir/json.dict" ;;
  esac
}

run_root=$build_dir/fuzz-run
summary=()
total_execs=0
total_crashes=0
for name in "${names[@]}"; do
  work=$run_root/$name
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  # Seeds: the corpus and the regressions (hidden files such as .gitkeep left out, and inputs beyond the target's
  # max_len: cut short they only slow the fuzzer down; the replay tests run them whole).
  find "$fuzz_dir/corpus/$name" "$fuzz_dir/regressions/$name" -type f ! -name '.*' \
    -size -"$(($(max_len_of "$name") + 1))"c -exec cp {} "$work/corpus/" \;
  echo "== $name: ${seconds}s, $(find "$work/corpus" -type f | wc -l) seeds, log $work/log"
  status=0
  "$build_dir/$fuzz_dir/${name}_fuzz" "$work/corpus" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" \
    -timeout=10 -max_len="$(max_len_of "$name")" -dict="$(dict_of "$name")" -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" >"$work/log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$work/log" | tail -n 1 || true)
  crashes=$(find "$work/crashes" -type f | wc -l)
  if ((status != 0 && crashes == 0)); then crashes=1; fi  # died without writing an input (e.g. in start-up)
  total_execs=$((total_execs + ${execs:-0}))
  total_crashes=$((total_crashes + crashes))
  summary+=("$(printf '%-20s %12s execs   %-22s %s crash(es)' "$name" "${execs:-?}" "${coverage:-cov: ?}" "$crashes")")
  if ((crashes > 0)); then
    echo "   crashed (whole report in $work/log):"
    # The reason, and the first frames in project code (template names cut short).
    { grep -m 4 -E 'ERROR: |runtime error|accepted input broke|^at .*: |terminate called|what\(\)' "$work/log" || true
      grep -E '#[0-9]+ .* in (scaleplan::|LLVMFuzzerTestOneInput)' "$work/log" | head -n 6 || true
    } | cut -c 1-160 | sed 's/^ */     /'
    find "$work/crashes" -type f | sed 's/^/   input: /'
    echo "   reproduce: $build_dir/$fuzz_dir/${name}_fuzz INPUT   minimise: add -minimize_crash=1 -runs=100000"
  fi
  if ((merge)); then
    "$build_dir/$fuzz_dir/${name}_fuzz" -merge=1 -max_len="$(max_len_of "$name")" "$fuzz_dir/corpus/$name" \
      "$work/corpus" >>"$work/log" 2>&1
    echo "   merged new coverage into $fuzz_dir/corpus/$name"
  fi
done

echo
echo "target               executions         coverage (edges, features)"
printf '%s\n' "${summary[@]}"
echo "total: $total_execs executions, $total_crashes crash(es)"
((total_crashes == 0))
