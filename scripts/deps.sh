#!/bin/sh
# Install the Debian 12 packages chipdump needs, only those that are missing.
# Usage: scripts/deps.sh [build|all]   (run as root; otherwise prints the apt command)
set -eu

# libflashrom-dev: the flashrom programmer (-p flashrom:NAME); flashrom: its CLI, for the
# benchmark (bench/) and for comparing by hand; libusb-1.0-0-dev: the ch341a programmer
# gcc-arm-none-eabi + libnewlib-arm-none-eabi: the RP2040 firmware; clang + lld: the chip models
# as WebAssembly for the firmware's emulator tests (tests/emu), which also need node + npm
build_pkgs="cmake make gcc pkg-config libinih-dev libjansson-dev libssl-dev libcmocka-dev python3 libflashrom-dev flashrom libusb-1.0-0-dev gcc-arm-none-eabi libnewlib-arm-none-eabi clang lld"
extra_pkgs=""

case "${1:-build}" in
build) want="$build_pkgs" ;;
all) want="$build_pkgs $extra_pkgs" ;;
*) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# node and npm count as present whoever packaged them (a NodeSource nodejs bundles npm and
# conflicts with Debian's npm package)
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages:$missing" >&2
    echo "run as root: apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing || {
    apt-get update
    apt-get install -y --no-install-recommends $missing
}
