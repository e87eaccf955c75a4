#!/usr/bin/env bash
# The GPU checks, in one prepared run on a machine with one NVIDIA GPU (none exists on the development and CI
# machines): configure and build with CUDA, run the GPU tests, 'probe --backend cuda --quick', and the one-rank NCCL
# smoke tests (NCCL refuses two ranks on one GPU): NCCL itself (a one-rank all-reduce checked for its result), the
# probe's NCCL module (every collective checked on its pattern, then timed: gpu_probe_nccl_backend_test), and the
# whole 'probe --collectives --backend cuda' path under 'mpirun -np 1' (the SCALEPLAN_COLLECTIVES_ONE_RANK hook), and
# the MPI suite of probe --collectives (2 and 4 ranks sharing the GPU: MPI, and NCCL refused by name), then
# print a summary. Sized for 8 minutes on one H100; each step gets what is left of that budget.
#   scripts/gpu_check.sh            build folder build-gpu/ (SCALEPLAN_GPU_BUILD_DIR), architecture 90
#                                   (SCALEPLAN_CUDA_ARCHITECTURES, e.g. "80" for an A100), budget 480 s
#                                   (SCALEPLAN_GPU_CHECK_SECONDS; a step still running at its end is stopped, SIGKILL
#                                   10 s after SIGTERM, and fails, saying so)
# Each step is listed in the summary as
#   PASS  it ran and exited 0 (a gtest step: and ran at least one test, none skipped)
#   FAIL  it ran and failed: its exit status, or why an exit 0 is not a pass (a gtest filter that matched no test, a
#         device test that skipped: no usable device), or the budget that stopped it, and its log; or it could not
#         run, with the reason (mpirun not found)
#   SKIP  it did not run: it needs a GPU and there is none (not a failure by itself), or a step it needs failed (the
#         build, the smoke program's compile) or the budget was spent (both counted as failures)
# Exit status 0 when every step passed, 1 when one failed, 2 when there is no GPU here: then only the steps that need
# none run (configure and build with -Werror, the NCCL smoke program's compile, the MPI suite) and the others are
# listed as skipped, so a machine without a GPU never reports the GPU path as checked. The logs are in
# <build>/gpu_check/. Record the figures, with the device name, in gpu_probe/README.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
budget_seconds=${SCALEPLAN_GPU_CHECK_SECONDS:-480}
deadline=$((SECONDS + budget_seconds))
build=${SCALEPLAN_GPU_BUILD_DIR:-build-gpu}
architectures=${SCALEPLAN_CUDA_ARCHITECTURES:-90}
cuda_home=${CUDA_HOME:-/usr/local/cuda}
logs=$build/gpu_check
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs/cuda_profile.json" "$logs/nccl_profile.json"  # an earlier run's are not this run's
summary=()
failed=0
failed_steps=()

# fail NAME REASON: NAME is listed as failed, with REASON.
fail() {
  summary+=("FAIL  $1 ($2)")
  failed_steps+=("$1")
  failed=1
}

# step NAME COMMAND...: runs COMMAND with what is left of the budget, its output in $logs/NAME.log.
step() {
  local name=$1 start=$SECONDS left=$((deadline - SECONDS))
  shift
  if ((left <= 0)); then
    summary+=("SKIP  $name (the ${budget_seconds} s budget is spent)")
    failed_steps+=("$name")
    failed=1
    return 1
  fi
  # -k 10: a step that ignores SIGTERM is killed 10 s later (exit 137) instead of holding the machine.
  timeout -k 10 "$left" "$@" >"$logs/$name.log" 2>&1
  local status=$? elapsed=$((SECONDS - start))
  if ((status == 0)); then
    summary+=("PASS  $name ($elapsed s)")
    return 0
  fi
  # A wrapper that finds an exit 0 is not a pass (gtest_step) says why on a last line of its log.
  local verdict
  verdict=$(sed -n 's/^gpu_check verdict: //p' "$logs/$name.log" | tail -1)
  if ((status == 124 || (status == 137 && elapsed >= left))); then
    fail "$name" "stopped at the end of the ${budget_seconds} s budget after $elapsed s$( ((status == 137)) &&
      echo ", killed: it ignored SIGTERM"); SCALEPLAN_GPU_CHECK_SECONDS raises it; $logs/$name.log"
  elif [[ -n "$verdict" ]]; then
    fail "$name" "$verdict, after $elapsed s; $logs/$name.log"
  else
    fail "$name" "exit $status after $elapsed s; $logs/$name.log"
  fi
  return 1
}

# The GPU, as the driver reports it; without one the steps that need it are skipped (exit status 2), not failed. A
# device file without nvidia-smi (a container that mounts the GPU but not the tools) counts as a GPU: the steps run
# and say what is missing.
have_gpu=1
# nvidia-smi prints its failures on stdout ("No devices were found", exit 6; "NVIDIA-SMI has failed ...", exit 9):
# only what a successful call prints names a device.
device=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null) || device=""
device=${device%%$'\n'*}  # the first GPU
if [[ -z "$device" ]]; then
  gpu_files=$(compgen -G '/dev/nvidia[0-9]*' | head -1)
  if [[ -n "$gpu_files" ]]; then
    device="a GPU at $gpu_files (nvidia-smi names none)"
  elif command -v nvidia-smi >/dev/null 2>&1; then
    have_gpu=0
    device="no GPU: nvidia-smi lists no device"
  else
    have_gpu=0
    device="no GPU: no nvidia-smi and no /dev/nvidia0 (no NVIDIA driver or device)"
  fi
fi
if ((!have_gpu)); then
  echo "gpu_check: $device; checking the configure and build steps only (the GPU steps are skipped, exit status 2)"
fi

# gpu_step NAME COMMAND...: a step that needs the GPU: `step`, or, when there is none, a skip in the summary (status
# 0, so that the steps after it are listed too).
# shellcheck disable=SC2317  # called through needs
gpu_step() {
  if ((!have_gpu)); then
    summary+=("SKIP  $1 (needs a GPU)")
    return 0
  fi
  step "$@"
}

# needs OK WHAT HELPER NAME COMMAND...: HELPER NAME COMMAND... (HELPER is step or gpu_step) when OK is 1, i.e. the step
# WHAT that makes what NAME runs passed; otherwise NAME is listed as skipped because WHAT failed (counted as a failure:
# there is nothing to run), unless it is a GPU step and there is no GPU (then it is skipped as needing one).
needs() {
  local ok=$1 what=$2 helper=$3 name=$4
  if ((ok)) || { [[ "$helper" == gpu_step ]] && ((!have_gpu)); }; then
    shift 2
    "$@"
    return
  fi
  summary+=("SKIP  $name (the $what step did not pass: nothing to run)")
  failed_steps+=("$name")
  failed=1
  return 1
}

# gtest_step NAME BINARY FILTER: a GPU step running the tests of BINARY that FILTER selects, after the build. Its exit
# status is the test binary's; an exit 0 is a failure when the filter matched no test, or when a test skipped (these
# device tests skip without a usable CUDA device or NCCL, and ctest counts a skip as a pass, so here a skip fails).
# shellcheck disable=SC2016  # the wrapper's variables are its own
# The trap keeps the wrapper alive until the test binary ends: a binary that ignores SIGTERM is then still in the
# group that timeout kills 10 s later, not left running on its own.
gtest_check='trap "exit 143" TERM
"$1" --gtest_filter="$2" 2>&1
status=$?
((status == 0)) || exit "$status"
ran=$(sed -nE "s/^\[==========\] ([0-9]+) tests? from .* ran\..*/\1/p" "$3" | tail -1)
skipped=$(sed -nE "s/^\[  SKIPPED \] ([0-9]+) tests?, listed below:.*/\1/p" "$3" | tail -1)
if [[ -z "$ran" ]]; then
  echo "gpu_check verdict: exit 0 but no gtest summary in the output (not a gtest binary, or it stopped early)"
elif ((ran == 0)); then
  echo "gpu_check verdict: exit 0 but the filter $2 matched no test"
elif [[ -n "$skipped" ]]; then
  echo "gpu_check verdict: exit 0 but $skipped of $ran tests skipped, and a skip counts as a failure here: no usable" \
    "device"
else
  exit 0
fi
exit 1'
gtest_step() {
  needs "$built" build gpu_step "$1" bash -c "$gtest_check" gtest_step "$2" "$3" "$logs/$1.log"
}

configured=0
built=0
step configure cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCALEPLAN_WERROR=ON \
  -DSCALEPLAN_WITH_CUDA=ON -DSCALEPLAN_WITH_GUI=OFF -DSCALEPLAN_BUILD_BENCH=OFF \
  -DCMAKE_CUDA_ARCHITECTURES="$architectures" -DCMAKE_CUDA_COMPILER="$cuda_home/bin/nvcc" && configured=1
needs "$configured" configure step build cmake --build "$build" --parallel "$(nproc)" --target scaleplan \
  gpu_probe_cuda_backend_test gpu_probe_probe_test gpu_probe_cpu_kernels_test gpu_probe_timing_test \
  gpu_probe_kernel_cost_test gpu_probe_collectives_test gpu_probe_collective_pattern_test gpu_probe_nccl_backend_test \
  gpu_probe_nccl_emulated_test cli_collectives_cli_test && built=1
# Once built, each step runs whatever the others gave, so that every failure is seen with its reason; when the build
# failed, the steps that run its binaries are listed as skipped for that reason.
needs "$built" build gpu_step gpu_tests ctest --test-dir "$build" --output-on-failure --no-tests=error \
  --label-regex '^gpu_probe$'
# The kernels on the device (a skip is a failure here, as for the NCCL module below).
gtest_step cuda_kernels "$build/tests/gpu_probe/gpu_probe_cuda_backend_test" 'CudaKernelsTest.*'
needs "$built" build gpu_step probe_cuda_quick "$build/cli/scaleplan" probe --backend cuda --quick \
  --out "$logs/cuda_profile.json"

# One-rank NCCL, first the library alone, from the CUDA installation, in this small program (scaleplan itself does
# not link NCCL): a failure here is NCCL's or the machine's, not the probe's.
cat >"$logs/nccl_smoke.cu" <<'CU'
#include <cstdio>
#include <vector>
#include <cuda_runtime.h>
#include <nccl.h>

#define CHECK(call, ok)                                                              \
  do {                                                                               \
    if (!(ok)) {                                                                     \
      std::fprintf(stderr, "nccl_smoke: %s failed at line %d\n", #call, __LINE__);  \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

int main() {
  const size_t count = 1 << 20;
  int version = 0;
  CHECK(ncclGetVersion, ncclGetVersion(&version) == ncclSuccess);
  ncclUniqueId id;
  CHECK(ncclGetUniqueId, ncclGetUniqueId(&id) == ncclSuccess);
  CHECK(cudaSetDevice, cudaSetDevice(0) == cudaSuccess);
  ncclComm_t comm;
  CHECK(ncclCommInitRank, ncclCommInitRank(&comm, 1, id, 0) == ncclSuccess);
  float* send = nullptr;
  float* recv = nullptr;
  CHECK(cudaMalloc, cudaMalloc(&send, count * sizeof(float)) == cudaSuccess);
  CHECK(cudaMalloc, cudaMalloc(&recv, count * sizeof(float)) == cudaSuccess);
  std::vector<float> host(count);
  for (size_t i = 0; i < count; ++i) host[i] = static_cast<float>(i % 1000) + 0.5f;
  CHECK(cudaMemcpy, cudaMemcpy(send, host.data(), count * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  cudaStream_t stream;
  CHECK(cudaStreamCreate, cudaStreamCreate(&stream) == cudaSuccess);
  CHECK(ncclAllReduce, ncclAllReduce(send, recv, count, ncclFloat, ncclSum, comm, stream) == ncclSuccess);
  CHECK(cudaStreamSynchronize, cudaStreamSynchronize(stream) == cudaSuccess);
  std::vector<float> back(count, -1.0f);
  CHECK(cudaMemcpy, cudaMemcpy(back.data(), recv, count * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  for (size_t i = 0; i < count; ++i) {
    if (back[i] != host[i]) {  // one rank: the sum is the rank's own array
      std::fprintf(stderr, "nccl_smoke: element %zu is %g, expected %g\n", i, back[i], host[i]);
      return 1;
    }
  }
  ncclCommDestroy(comm);
  cudaFree(send);
  cudaFree(recv);
  std::printf("nccl_smoke: NCCL %d, one-rank all-reduce of %zu floats checked\n", version, count);
  return 0;
}
CU
# The first of CMake's list ("80;90" or "80 90"), without a "-real" or "-virtual" suffix.
smoke_arch=${architectures%%[; ]*}
smoke_arch=${smoke_arch%%-*}
nccl_built=0
step nccl_build "$cuda_home/bin/nvcc" -O2 -arch="sm_$smoke_arch" -o "$logs/nccl_smoke" "$logs/nccl_smoke.cu" \
  -I"$cuda_home/include" -L"$cuda_home/lib64" -lnccl -Xlinker -rpath -Xlinker "$cuda_home/lib64" && nccl_built=1
needs "$nccl_built" nccl_build gpu_step nccl_one_rank "$logs/nccl_smoke"

# The probe's NCCL module on one rank: these tests skip without a device, so a skip is a failure here.
gtest_step nccl_module "$build/tests/gpu_probe/gpu_probe_nccl_backend_test" 'NcclOneRankTest.*'

# The whole MPI + NCCL path of probe --collectives on one rank: device choice, unique id broadcast, check, samples
# reduced over MPI, profile with backend "nccl". Needs mpirun (openmpi-bin) and a build with MPI.
if command -v mpirun >/dev/null 2>&1; then
  needs "$built" build gpu_step nccl_probe env SCALEPLAN_COLLECTIVES_ONE_RANK=1 OMPI_ALLOW_RUN_AS_ROOT=1 \
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun -np 1 \
    "$build/cli/scaleplan" probe --collectives --backend cuda --quick --out "$logs/nccl_profile.json"
  # The MPI suite on a GPU machine: 2 and 4 ranks share the one GPU, so --backend auto must fall back to MPI (the
  # UUID comparison) and --backend cuda be refused by name, exit 2.
  needs "$built" build step collectives_cli ctest --test-dir "$build" --output-on-failure --no-tests=error \
    -R '^cli/collectives_cli_test$'
else
  # Both need mpirun, so neither can run: a failure (exit 1) on any machine, the MPI suite needing no GPU.
  no_mpirun="mpirun not found, not run: apt-get install openmpi-bin libopenmpi-dev"
  if ((have_gpu)); then
    fail nccl_probe "$no_mpirun"
  else
    summary+=("SKIP  nccl_probe (needs a GPU)")
  fi
  fail collectives_cli "$no_mpirun"
fi

echo
echo "scaleplan GPU check on: $device ($((SECONDS)) s of ${budget_seconds} s)"
for line in "${summary[@]}"; do echo "  $line"; done
if [[ -f "$logs/cuda_profile.json" ]]; then
  echo "  profile: $logs/cuda_profile.json"
  grep -E '"(device|peak_flops|bandwidth_bytes_per_s)"' "$logs/cuda_profile.json" | sed 's/^ */    /'
fi
if ((!have_gpu)); then
  if ((failed)); then
    echo "  a step that needs no GPU failed or could not run: ${failed_steps[*]} (the FAIL and SKIP lines above)"
    exit 1
  fi
  echo "  configure and build pass; the GPU steps were not run (no GPU): run this script on a machine with one"
  exit 2
fi
[[ -f "$logs/nccl_one_rank.log" ]] && sed 's/^/    /' "$logs/nccl_one_rank.log"
[[ -f "$logs/nccl_module.log" ]] && grep -E '^nccl' "$logs/nccl_module.log" | sed 's/^/    /'
if [[ -f "$logs/nccl_probe.log" ]]; then
  echo "  probe --collectives --backend cuda, one rank ($logs/nccl_probe.log):"
  grep -E '^(scaleplan probe: note|interconnect|collective |all_|reduce_|send_)' "$logs/nccl_probe.log" | sed 's/^/    /'
fi
exit "$failed"
