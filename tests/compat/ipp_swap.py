# SPDX-License-Identifier: BSD-3-Clause
"""pytest plugin: run ipyparallel's own test suite against our programs.

Loaded with ``-p ipp_swap`` so it is imported before the suite's modules.
It swaps the commands the suite launches, in place, so that every import
of ``ipcontroller_cmd_argv`` / ``ipengine_cmd_argv`` (tests/__init__.py
imports the lists by name) and the launcher classes' ``controller_cmd`` /
``engine_cmd`` defaults (used by the ``Cluster`` fixture) start ours:

  IPP_COMPAT_CONTROLLER=/path/to/ipcontroller   (unset: Debian's Python one)
  IPP_COMPAT_ENGINE=/path/to/ipengine           (unset: Debian's Python one)
  IPP_COMPAT_IPCLUSTER=/path/to/ipcluster       (unset: Debian's Python one)

With IPP_COMPAT_IPCLUSTER, commands the suite runs as
``[sys.executable, "-m", "ipyparallel.cluster", ...]`` (test_apps.py) run
our ipcluster instead, and ``-m ipyparallel.controller`` / ``engine`` the
swapped controller / engine.
"""
import os
import subprocess
import sys

import ipyparallel.cluster.launcher as launcher


def _swap(name_of_list, classes, trait_name, command):
    argv = getattr(launcher, name_of_list)
    argv[:] = command  # in place: modules that imported the list see it too
    for cls in classes:
        trait = cls.class_traits().get(trait_name)
        if trait is not None:
            trait.default_value = list(command)


_controller = os.environ.get("IPP_COMPAT_CONTROLLER")
_engine = os.environ.get("IPP_COMPAT_ENGINE")

if _controller:
    _swap("ipcontroller_cmd_argv",
          [c for c in vars(launcher).values()
           if isinstance(c, type) and "controller_cmd" in getattr(c, "class_traits", lambda: {})()],
          "controller_cmd", [_controller])
if _engine:
    _swap("ipengine_cmd_argv",
          [c for c in vars(launcher).values()
           if isinstance(c, type) and "engine_cmd" in getattr(c, "class_traits", lambda: {})()],
          "engine_cmd", [_engine])

_ipcluster = os.environ.get("IPP_COMPAT_IPCLUSTER")
if _ipcluster:
    _modules = {"ipyparallel.cluster": _ipcluster, "ipyparallel.controller": _controller,
                "ipyparallel.engine": _engine}
    _popen_init = subprocess.Popen.__init__

    def _swapped_init(self, args, *more, **kwargs):
        if (isinstance(args, (list, tuple)) and len(args) >= 3 and args[0] == sys.executable
                and args[1] == "-m" and _modules.get(args[2])):
            args = [_modules[args[2]], *args[3:]]
        _popen_init(self, args, *more, **kwargs)

    subprocess.Popen.__init__ = _swapped_init


def pytest_report_header(config):
    return [
        "ipp_swap: controller = " + (_controller or "Debian python ipcontroller"),
        "ipp_swap: engine = " + (_engine or "Debian python ipengine"),
        "ipp_swap: ipcluster = " + (_ipcluster or "Debian python ipcluster"),
    ]
