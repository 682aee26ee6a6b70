#!/bin/sh
# The main job (make demo): a real cluster doing real work, see demo.py.
set -eu
build=${1:-build}
exec /usr/bin/python3 "$(dirname "$0")/demo.py" "$build"
