#!/usr/bin/env bash
# Installs the Debian 12 packages scaleplan needs, and only those missing (fast when nothing is).
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libceres-dev libeigen3-dev libboost-program-options-dev nlohmann-json3-dev libopenblas-dev
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev
  python3-dev pybind11-dev python3-numpy python3-pandas python3-pytest python3-matplotlib
  xvfb openbox
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "scaleplan: installing ${missing[*]}" >&2
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "scaleplan: run as root, or install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
