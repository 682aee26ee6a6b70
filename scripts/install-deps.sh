#!/bin/sh
# Installs, from Debian 12's apt, whatever the build and the tests need and
# the machine does not have yet. Safe to run again: it does nothing when all
# packages are present. Runs without a terminal (CI).
set -eu
pkgs="cmake g++ make pkg-config
  libzmq3-dev cppzmq-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  libsqlite3-dev libssh-dev libssl-dev python3-dev pybind11-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev
  python3-ipyparallel python3-jupyter-client python3-numpy python3-pytest
  python3-pytest-asyncio python3-pytest-timeout python3-pytest-tornado
  openssh-server openssh-client openmpi-bin python3-mpi4py iproute2 procps
  slurm-wlm munge python3-matplotlib"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q </dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing </dev/null
