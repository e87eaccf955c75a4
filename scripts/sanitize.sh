#!/usr/bin/env bash
# Sanitizer runs; CI runs both (scripts/sanitize.sh with no argument) after scripts/test.sh:
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer build of everything, the Qt app
#                                 included (build-asan/), then the whole test suite but the scale tests (label
#                                 'scale': a million-run fit takes minutes under ASan, and its memory bound means
#                                 nothing with shadow memory; the same code runs in the smaller fits)
#   scripts/sanitize.sh address --no-gui   the same without the Qt app and its tests (build-asan-nogui/), for a
#                                 machine without Qt
#   scripts/sanitize.sh thread    ThreadSanitizer build of the fitting library and the probe (build-tsan/), then
#                                 their tests: the multi-threaded fits, the bootstrap, and the probe's thread pool
#                                 and kernels
#   scripts/sanitize.sh           both: address, then thread
# Sanitizer builds compile at -O1 -g1 (top-level CMakeLists.txt). Any report aborts the process that made it, which
# fails its test. Benchmarks and the CUDA module are not built (neither runs in the suite).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install_deps.sh

configure() {  # configure DIR SANITIZERS [cmake args...]
  local dir=$1 sanitizers=$2
  shift 2
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCALEPLAN_WERROR=ON -DSCALEPLAN_BUILD_BENCH=OFF \
      -DSCALEPLAN_WITH_CUDA=OFF -DSCALEPLAN_SANITIZE="$sanitizers" "$@" >/dev/null
  fi
}

run_address() {
  local dir=build-asan gui=ON
  if [[ "${1:-}" == "--no-gui" ]]; then dir=build-asan-nogui gui=OFF; fi
  echo "scaleplan: AddressSanitizer + UndefinedBehaviorSanitizer: whole suite, GUI $gui ($dir/)" >&2
  configure "$dir" address,undefined -DSCALEPLAN_WITH_GUI=$gui
  cmake --build "$dir" --parallel "$(nproc)"
  # intercept_strndup=0: the X keyboard library (under the GUI smoke test's Xvfb window) strndup()s fixed-length
  # fields that are not NUL-terminated, which is allowed but trips the interceptor; scaleplan never calls strndup.
  # intercept_tls_get_addr=0: GCC 12's runtime (libasan.so.8; google/sanitizers#1322, fixed in LLVM by b1bd52cd0d86)
  # takes a dynamic TLS block that glibc malloc()s 16 bytes past a page boundary for glibc 2.19's mmap'd kind and
  # records the 16 bytes before it (AddressSanitizer's chunk header) as a TLS range; LeakSanitizer's exit-time scan
  # then reads that range and dies ("Tracer caught signal 11"). plot dlopen()s the chart module, so libQt6Core's
  # 168-byte TLS block is such a block, and whether it lands there depends only on how many allocations of its size
  # came first (21 extra malloc(168) before main crash a one-chart plot; one more makes a grouped plot pass). The flag
  # stops the runtime recording dynamic TLS ranges; the leak scan still runs (a planted leak is still reported).
  ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:intercept_strndup=0:intercept_tls_get_addr=0" \
  LSAN_OPTIONS="suppressions=$root/scripts/sanitizer/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$dir" --output-on-failure --parallel "$(nproc)" --timeout 900 --label-exclude scale
}

run_thread() {
  echo "scaleplan: ThreadSanitizer: the fitting and probe tests (build-tsan/)" >&2
  configure build-tsan thread -DSCALEPLAN_WITH_GUI=OFF
  local targets
  targets=$(sed -n 's|^scaleplan_add_test(\([a-z_]*\)/\([a-z_]*\)\.cc.*|\1_\2|p' tests/fitting/CMakeLists.txt \
            tests/gpu_probe/CMakeLists.txt)
  # shellcheck disable=SC2086  # one target per word
  cmake --build build-tsan --parallel "$(nproc)" --target $targets
  # setarch -R: ThreadSanitizer's fixed shadow layout does not fit some kernels' randomised address spaces.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/sanitizer/tsan.supp" \
    setarch "$(uname -m)" -R ctest --test-dir build-tsan --output-on-failure --label-regex '^(fitting|gpu_probe)$' \
    --timeout 1200
}

case "${1:-all}" in
  address) run_address "${2:-}" ;;
  thread) run_thread ;;
  all) run_address && run_thread ;;
  *) echo "usage: scripts/sanitize.sh [address [--no-gui]|thread|all]" >&2; exit 2 ;;
esac
