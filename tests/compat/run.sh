#!/bin/sh
# Runs ipyparallel's own test suite (Debian python3-ipyparallel) with the
# controller and/or engine swapped for ours.
#   tests/compat/run.sh CONTROLLER ENGINE [pytest args or modules...]
#   CONTROLLER, ENGINE: "ours" or "python"
# IPP_COMPAT_IPCLUSTER=ours also swaps the ipcluster command (test_apps.py).
# Modules default to the compatibility set of the controller issue.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${IPP_BUILD_DIR:-$here/../../build}
build=$(cd "$build" && pwd)
controller=$1; engine=$2; shift 2
unset IPP_COMPAT_CONTROLLER IPP_COMPAT_ENGINE
case "${IPP_COMPAT_IPCLUSTER:-}" in
  ours) export IPP_COMPAT_IPCLUSTER="$build/ipcluster" ;;
  *) unset IPP_COMPAT_IPCLUSTER ;;
esac
[ "$controller" = ours ] && export IPP_COMPAT_CONTROLLER="$build/ipcontroller"
[ "$engine" = ours ] && export IPP_COMPAT_ENGINE="$build/ipengine"
tests=/usr/lib/python3/dist-packages/ipyparallel/tests
if [ $# -eq 0 ]; then
  set -- test_client.py test_view.py test_lbview.py test_asyncresult.py test_dependency.py \
         test_view_broadcast.py test_magics.py test_remotefunction.py test_executor.py \
         test_joblib.py test_async.py
fi
args=""
for a in "$@"; do
  case "$a" in
    test_*.py*) args="$args $tests/$a" ;;
    *) args="$args $a" ;;
  esac
done
cd "$tests/../.." || exit 2
# shellcheck disable=SC2086
exec env PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/python3 -m pytest \
  -p ipp_swap -p no:cacheprovider -q --timeout=300 -o addopts="" $args
