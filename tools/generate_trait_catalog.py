#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerate src/config/trait_catalog_data.cpp from the installed ipyparallel.

The C++ config layer needs to know every configurable class of ipcontroller,
ipengine and ipcluster, its Python MRO (traitlets resolves config along it)
and the type and default of each config trait. Rather than transcribing
~100 classes by hand, this script introspects ipyparallel 7.1 (Debian 12's
python3-ipyparallel) and writes the table as JSON embedded in C++.
Traits added by newer ipyparallel releases, and the pre-7 class names that
old profiles still use, are listed in EXTRA_* below.

Usage: /usr/bin/python3 tools/generate_trait_catalog.py > src/config/trait_catalog_data.cpp
"""
import json
import sys
import types

# ipyparallel.controller.mongodb imports pymongo and bson at module level; we only
# need its trait declarations.
_fake = types.ModuleType("pymongo")
_fake.MongoClient = type("MongoClient", (), {})
sys.modules.setdefault("pymongo", _fake)
_bson = types.ModuleType("bson")
_bson.Binary = type("Binary", (), {})
sys.modules.setdefault("bson", _bson)

import traitlets  # noqa: E402
from traitlets.config import Configurable  # noqa: E402

import ipyparallel.cluster.launcher as L  # noqa: E402
from ipyparallel.cluster import app as cluster_app  # noqa: E402
from ipyparallel.cluster.cluster import Cluster  # noqa: E402
from ipyparallel.controller.app import IPController  # noqa: E402
from ipyparallel.controller.broadcast_scheduler import BroadcastScheduler  # noqa: E402
from ipyparallel.controller.dictdb import DictDB, NoDB  # noqa: E402
from ipyparallel.controller.heartmonitor import HeartMonitor  # noqa: E402
from ipyparallel.controller.hub import Hub  # noqa: E402
from ipyparallel.controller.mongodb import MongoDB  # noqa: E402
from ipyparallel.controller.sqlitedb import SQLiteDB  # noqa: E402
from ipyparallel.controller.task_scheduler import TaskScheduler  # noqa: E402
from ipyparallel.engine.app import IPEngine  # noqa: E402
from ipyparallel.engine.kernel import IPythonParallelKernel  # noqa: E402

APPS = {
    "controller": [IPController, Hub, TaskScheduler, BroadcastScheduler, HeartMonitor,
                   DictDB, NoDB, SQLiteDB, MongoDB],
    "engine": [IPEngine, IPythonParallelKernel],
    "cluster": [cluster_app.IPCluster, cluster_app.IPClusterStart, cluster_app.IPClusterEngines,
                cluster_app.IPClusterStop, cluster_app.IPClusterList, cluster_app.IPClusterClean,
                cluster_app.IPClusterNBExtension, Cluster]
    + [getattr(L, n) for n in dir(L)
       if isinstance(getattr(L, n), type) and issubclass(getattr(L, n), L.BaseLauncher)],
}

# Classes every app shares (BaseParallelApplication and its bases, Session,
# ProfileDir) are attributed to "common".
COMMON_BASES = {"BaseParallelApplication", "BaseIPythonApplication", "Application",
                "ProfileDir", "Session"}

STOP = {"LoggingConfigurable", "Configurable", "SingletonConfigurable", "HasTraits",
        "AsyncFirst"}

# Traits of newer ipyparallel releases (8.x) that 7.1 lacks (as listed in
# config-and-cli.md). Accepted so that profiles written for newest
# ipyparallel load without "unknown" warnings.
EXTRA_TRAITS = {
    "BaseLauncher": {"environment": ("dict", {}), "connection_info_timeout": ("float", 60.0)},
    "BatchSystemLauncher": {"output_file": ("str", "")},
    "Cluster": {"send_engines_connection_env": ("bool", True)},
}

# Classes of pre-7 releases that no longer exist but whose traits still mean
# something (deprecations.cpp maps them): IPython <= 3 ipengine's MPI section.
EXTRA_CLASSES = {
    "MPI": {"mro": ["MPI"], "app": "engine",
            "traits": {"use": {"type": "str", "default": ""},
                       "init_script": {"type": "str", "default": ""}}},
}

# Configurable classes of Jupyter programs that may not be installed where
# this script runs but whose sections appear in shared ipython_config.py files.
EXTRA_FOREIGN = [
    "NotebookApp", "ServerApp", "LabApp", "LabServerApp", "ExtensionApp", "NbConvertApp",
    "Exporter", "TemplateExporter", "HTMLExporter", "LatexExporter", "PDFExporter",
    "ExecutePreprocessor", "Preprocessor", "NotebookNotary", "ContentsManager",
    "FileContentsManager", "LargeFileManager", "MappingKernelManager", "GatewayClient",
    "TerminalManager", "SessionManager", "IPythonQtConsoleApp", "JupyterQtConsoleApp",
    "ConsoleWidget", "FrontendWidget", "IPythonWidget", "JupyterWidget", "HistoryConsoleWidget",
    "ZMQTerminalIPythonApp", "ZMQTerminalInteractiveShell", "KernelSpec", "TerminalInteractiveShell",
    "TerminalIPythonApp", "IPKernelApp", "InteractiveShellApp", "InteractiveShell",
    "ZMQInteractiveShell", "HistoryManager", "HistoryAccessor", "PlainTextFormatter",
    "IPCompleter", "Completer", "ScriptMagics", "StoreMagics", "LoggingMagics", "MagicsManager",
    "PrefilterManager", "AliasManager", "ProfileCreate", "ProfileList", "ProfileLocate", "ProfileApp",
    "HistoryApp", "KernelManager", "KernelRestarter", "KernelSpecManager", "JupyterApp",
    "JupyterConsoleApp", "IPythonConsoleApp", "Widget", "ZMQChannelsHandler",
]

# Old class names (IPython <= 6 / ipyparallel < 7) that are mapped to their
# current class by deprecations.cpp. They accept the traits of the target
# class; unknown traits are reported against the spelling the user wrote.
DEPRECATED_CLASSES = {
    "HubFactory": "IPController",
    "IPControllerApp": "IPController",
    "EngineFactory": "IPEngine",
    "IPEngineApp": "IPEngine",
    "IPClusterApp": "IPCluster",
    "MPIExecLauncher": "MPILauncher",
    "MPIExecControllerLauncher": "MPIControllerLauncher",
    "MPIExecEngineSetLauncher": "MPIEngineSetLauncher",
}


def kind_of(trait):
    T = traitlets
    if isinstance(trait, (T.Bool, T.CBool)):
        return "bool"
    if isinstance(trait, (T.Int, T.CInt)):
        return "int"
    if isinstance(trait, (T.Float, T.CFloat)):
        return "float"
    if isinstance(trait, (T.Enum, T.CaselessStrEnum)):
        return "enum"
    if isinstance(trait, (T.Unicode, T.CUnicode, T.ObjectName, T.DottedObjectName, T.Bytes,
                          T.CBytes, T.CRegExp)):
        return "str"
    if type(trait).__name__ == "PortList":
        return "ports"
    if isinstance(trait, T.Tuple):
        return "tuple"
    if isinstance(trait, (T.List, T.Set, T.Container)):
        return "list"
    if isinstance(trait, T.Dict):
        return "dict"
    return "any"


def jsonable(v):
    try:
        json.dumps(v)
        return v
    except TypeError:
        pass
    if isinstance(v, bytes):
        return v.decode("utf8", "replace")
    if isinstance(v, (tuple, set)):
        return [jsonable(x) for x in v]
    if isinstance(v, type):
        return f"{v.__module__}.{v.__qualname__}"
    if hasattr(v, "pattern"):
        return v.pattern
    return None


def default_of(cls, name, trait):
    if name in ("location",) and cls.__name__ == "IPController":
        return ""  # socket.gethostname() of the generating machine: resolved at run time
    if name in ("work_dir",):
        return ""  # os.getcwd() at import time: resolved at run time
    if name in ("engine_cmd", "controller_cmd", "ipcluster_cmd"):
        return None  # [sys.executable, ...]: resolved by the launcher
    if name in ("key", "session", "username", "bsession", "curve_secretkey",
                "curve_publickey", "curve_serverkey", "ipython_dir", "job_cmd"):
        return None  # random / environment-dependent
    try:
        v = trait.default()
    except Exception:
        try:
            v = trait.default_value
        except Exception:
            return None
    if v is traitlets.Undefined:
        return None
    return jsonable(v)


def describe(cls):
    own = {}
    for name, trait in cls.class_own_traits(config=True).items():
        entry = {"type": kind_of(trait), "default": default_of(cls, name, trait)}
        if entry["type"] == "enum":
            entry["values"] = list(trait.values)
        if entry["type"] in ("list", "ports") and getattr(trait, "_trait", None) is not None:
            entry["item"] = kind_of(trait._trait)
        if entry["type"] == "tuple" and getattr(trait, "_traits", None):
            entry["items"] = [kind_of(t) for t in trait._traits]
        if isinstance(trait, traitlets.Dict) and getattr(trait, "_value_trait", None) is not None:
            entry["item"] = kind_of(trait._value_trait)
        if getattr(trait, "allow_none", False):
            entry["none"] = True
        own[name] = entry
    for name, (kind, default) in EXTRA_TRAITS.get(cls.__name__, {}).items():
        own.setdefault(name, {"type": kind, "default": default, "newest": True})
    mro = [c.__name__ for c in cls.__mro__
           if isinstance(c, type) and issubclass(c, Configurable) and c.__name__ not in STOP]
    return {"mro": mro, "traits": own}


classes = {}
owner = {}
for app, roots in APPS.items():
    for root in roots:
        for c in root.__mro__:
            if not (isinstance(c, type) and issubclass(c, Configurable)) or c.__name__ in STOP:
                continue
            if c.__name__ not in classes:
                classes[c.__name__] = describe(c)
            app_of = "common" if c.__name__ in COMMON_BASES else app
            prev = owner.get(c.__name__)
            if prev and prev != app_of and c.__name__ not in COMMON_BASES:
                # BaseParallelApplication subclasses are app-specific except
                # when genuinely shared.
                app_of = "common"
            owner[c.__name__] = app_of

# ProfileDir and Session are configured by every app.
from IPython.core.profiledir import ProfileDir  # noqa: E402
from jupyter_client.session import Session  # noqa: E402
for c in (ProfileDir, Session):
    classes[c.__name__] = describe(c)
    owner[c.__name__] = "common"

for name, cls in sorted(classes.items()):
    cls["app"] = owner[name]
classes.update(EXTRA_CLASSES)

# Configurable classes of other Jupyter/IPython programs: a profile's
# ipython_config.py configures them, so they never produce a warning.
foreign = set()


def walk(c):
    for s in c.__subclasses__():
        if s.__name__ not in classes and not s.__module__.startswith("ipyparallel"):
            foreign.add(s.__name__)
        walk(s)


for mod in ("IPython.terminal.ipapp", "IPython.core.profileapp", "IPython.core.historyapp",
            "IPython.core.magics", "IPython.extensions.storemagic", "ipykernel.kernelapp",
            "ipykernel.ipkernel", "ipykernel.zmqshell", "jupyter_client.manager",
            "jupyter_client.kernelspec", "jupyter_client.multikernelmanager",
            "jupyter_client.consoleapp", "jupyter_console.app", "nbconvert",
            "nbformat.sign", "notebook.notebookapp", "jupyter_server.serverapp",
            "qtconsole.qtconsoleapp", "jupyterlab.labapp"):
    try:
        __import__(mod)
    except Exception:
        pass
walk(Configurable)
foreign.update(EXTRA_FOREIGN)
foreign -= set(classes)
foreign -= set(DEPRECATED_CLASSES)
foreign = sorted(f for f in foreign if f and f[0].isupper())

data = {"classes": classes, "deprecated": DEPRECATED_CLASSES, "foreign": foreign}
text = json.dumps(data, sort_keys=True, separators=(",", ":"))

# Split into chunks: some compilers limit the length of one string literal.
chunks = [text[i:i + 12000] for i in range(0, len(text), 12000)]
print("// SPDX-License-Identifier: BSD-3-Clause")
print("// GENERATED by tools/generate_trait_catalog.py from ipyparallel "
      + __import__("ipyparallel").__version__ + " and traitlets " + traitlets.__version__ + ".")
print("// Do not edit by hand: change the generator and rerun it.")
print('#include "config/trait_catalog_data.hpp"')
print()
print("namespace ipp::config::detail {")
print()
print("const char* const kTraitCatalogJson[] = {")
for ch in chunks:
    print('    R"json(' + ch + ')json",')
print("    nullptr,")
print("};")
print()
print("}  // namespace ipp::config::detail")
