// SPDX-License-Identifier: BSD-3-Clause
#include "config/python_evaluator_script.hpp"

namespace ipp::config::detail {

// A self-contained stand-in for traitlets' PyFileConfigLoader: the config
// file runs with the same namespace traitlets gives it (c, get_config,
// load_subconfig, __file__) and the same Config / LazyConfigValue behaviour
// (traitlets/config/loader.py), but every assignment also records the file
// and line it came from so that our warnings and errors can point at it.
// It needs only the standard library: ipcontroller must not depend on
// traitlets being importable.
const char* const kPythonEvaluatorScript = R"PY(
import json, math, os, sys, traceback

_result_fd = int(sys.argv[1])
_ipython_dir = sys.argv[3]
os.set_inheritable(_result_fd, False)  # children of the config file must not hold it open
_result = os.fdopen(_result_fd, "w", encoding="utf-8")
# `python -c` puts the cwd first on sys.path; the Python apps do not.
if sys.path and sys.path[0] == "":
    del sys.path[0]

_files = set()      # config files being evaluated: frames in them give line numbers
_loading = []       # stack of files, to refuse recursive load_subconfig
_warnings = []


def _where():
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename in _files:
            return f.f_code.co_filename, f.f_lineno
        f = f.f_back
    return (_loading[-1] if _loading else ""), 0


def _is_section_key(key):
    return bool(key) and key[0].upper() == key[0] and not key.startswith("_")


class LazyConfigValue(object):
    """traitlets.config.loader.LazyConfigValue, recording where it was touched."""

    def __init__(self):
        self._extend = []
        self._prepend = []
        self._inserts = []
        self._update = None
        self._value = None
        self._meta = _where()

    def _touch(self):
        self._meta = _where()

    def append(self, obj):
        self._touch()
        self._extend.append(obj)

    def extend(self, other):
        self._touch()
        self._extend.extend(other)

    def prepend(self, other):
        self._touch()
        self._prepend[:0] = other

    def insert(self, index, other):
        if not isinstance(index, int):
            raise TypeError("An integer is required")
        self._touch()
        self._inserts.append((index, other))

    def update(self, other):
        self._touch()
        if self._update is None:
            self._update = {} if isinstance(other, dict) else set()
        self._update.update(other)

    def add(self, obj):
        self.update({obj})

    def empty(self):
        return not (self._extend or self._prepend or self._inserts or self._update)

    def get_value(self, initial):
        import copy
        value = copy.deepcopy(initial)
        if isinstance(value, list):
            for idx, obj in self._inserts:
                value.insert(idx, obj)
            value[:0] = self._prepend
            value.extend(self._extend)
        elif isinstance(value, (dict, set)):
            if self._update:
                value.update(self._update)
        return value

    def merge_into(self, other):
        if isinstance(other, LazyConfigValue):
            other._extend.extend(self._extend)
            self._extend = other._extend
            self._prepend.extend(other._prepend)
            other._inserts.extend(self._inserts)
            self._inserts = other._inserts
            if self._update:
                other.update(self._update)
                self._update = other._update
            elif other._update:
                self._update = other._update
            return self
        return self.get_value(other)

    def to_dict(self):
        d = {}
        if isinstance(self._update, dict) and self._update:
            d["update"] = self._update
        elif self._update:
            d["add"] = self._update
        if self._extend:
            d["extend"] = self._extend
        if self._prepend:
            d["prepend"] = self._prepend
        if self._inserts:
            d["inserts"] = self._inserts
        return d

    def __repr__(self):
        return "<LazyConfigValue %r>" % (self.to_dict(),)


class Config(dict):
    """traitlets.config.Config: attribute access, auto-created sections."""

    __slots__ = ("_meta",)

    def __init__(self, *args, **kwds):
        dict.__init__(self)
        object.__setattr__(self, "_meta", {})
        for key, value in dict(*args, **kwds).items():
            self[key] = value

    def __getitem__(self, key):
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            if _is_section_key(key):
                c = Config()
                dict.__setitem__(self, key, c)
                return c
            elif not key.startswith("_"):
                v = LazyConfigValue()
                dict.__setitem__(self, key, v)
                return v
            raise

    def __setitem__(self, key, value):
        if _is_section_key(key):
            if isinstance(value, dict) and not isinstance(value, Config):
                # traitlets raises ValueError for a plain dict here; a dict
                # of traits means the same thing, so accept it.
                value = Config(value)
            if not isinstance(value, Config):
                raise ValueError(
                    "values whose keys begin with an uppercase char must be Config instances: %r, %r"
                    % (key, value))
        dict.__setitem__(self, key, value)
        self._meta[key] = _where()

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(e)

    def __setattr__(self, key, value):
        if key.startswith("__"):
            raise AttributeError(key)
        self[key] = value

    def __delattr__(self, key):
        try:
            dict.__delitem__(self, key)
        except KeyError as e:
            raise AttributeError(e)

    def __contains__(self, key):
        if isinstance(key, str) and "." in key:
            first, rest = key.split(".", 1)
            if not dict.__contains__(self, first):
                return False
            return rest in dict.__getitem__(self, first)
        return dict.__contains__(self, key)

    has_key = __contains__

    def _has_section(self, key):
        return _is_section_key(key) and key in self

    def copy(self):
        c = Config()
        for key, value in self.items():
            dict.__setitem__(c, key, value)
        c._meta.update(self._meta)
        return c

    def merge(self, other):
        for key, value in other.items():
            if key not in self:
                dict.__setitem__(self, key, value)
                self._meta[key] = other._meta.get(key, ("", 0))
                continue
            mine = dict.__getitem__(self, key)
            if isinstance(value, Config) and isinstance(mine, Config):
                mine.merge(value)
            elif isinstance(value, LazyConfigValue):
                dict.__setitem__(self, key, value.merge_into(mine))
                self._meta[key] = value._meta
            else:
                dict.__setitem__(self, key, value)
                self._meta[key] = other._meta.get(key, ("", 0))


def _warn(where, message, kind="note"):
    _warnings.append({"file": where[0], "line": where[1], "message": message, "kind": kind})


def _pyobject_name(v):
    mod = getattr(v, "__module__", None) or ""
    name = getattr(v, "__qualname__", None) or getattr(v, "__name__", "")
    return mod + "." + name if mod else name


def _key_str(key, where):
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)  # what json.dumps does with such keys
    _warn(where, "dict key %r converted to a string" % (key,))
    return repr(key)


def _to_json(v, where):
    """Convert a config value to JSON, as close to its meaning as JSON allows."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        if -2**63 <= v < 2**64:
            return v
        _warn(where, "integer %d is too large; kept as a string" % v)
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        _warn(where, "%r converted to a string" % v)
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            _warn(where, "bytes value is not UTF-8; decoded as latin-1")
            return bytes(v).decode("latin-1")
    if isinstance(v, LazyConfigValue):
        return _to_json(v.get_value([] if v._update is None else type(v._update)()), where)
    if isinstance(v, dict):
        return {_key_str(key, where): _to_json(item, where) for key, item in v.items()}
    if isinstance(v, (list, tuple)):
        return [_to_json(item, where) for item in v]
    if isinstance(v, (set, frozenset)):
        try:
            items = sorted(v)
        except TypeError:
            items = list(v)
        return [_to_json(item, where) for item in items]
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, type) or callable(v) and hasattr(v, "__qualname__"):
        return {"__pyobject__": _pyobject_name(v)}
    if type(v).__name__ == "module":
        return {"__pyobject__": v.__name__}
    _warn(where, "value of type %s cannot be passed on; using its repr %r" % (type(v).__name__, v))
    return {"__repr__": repr(v)}


def _flatten(config, prefix, out):
    for key, value in config.items():
        where = config._meta.get(key, ("", 0))
        if isinstance(value, Config):
            _flatten(value, prefix + key + ".", out)
            continue
        if not prefix:
            _warn(where, "unknown configuration 'c.%s': not a Class.trait setting (ignored)" % key,
                  "unknown")
            continue
        section = out.setdefault(prefix[:-1], {})
        if isinstance(value, LazyConfigValue):
            if value.empty():
                continue  # only read, never modified: no effect, as in traitlets
            where = value._meta
            ops = value.to_dict()
            section[key] = {"lazy": _to_json(ops, where), "file": where[0], "line": where[1]}
        else:
            section[key] = {"value": _to_json(value, where), "file": where[0], "line": where[1]}
            if isinstance(value, dict):
                # JSON readers may sort object keys; dict order matters
                # (SSHEngineSetLauncher.engines is started in order).
                section[key]["keys"] = [_key_str(k, where) for k in value]


def _filefind(fname, path):
    fname = fname.strip('"').strip("'")
    if os.path.isabs(fname):
        return fname if os.path.isfile(fname) else None
    full = os.path.expandvars(os.path.expanduser(os.path.join(path or os.getcwd(), fname)))
    return os.path.abspath(full) if os.path.isfile(full) else None


def _exec_file(path, config):
    directory = os.path.dirname(path)

    def load_subconfig(fname, path=None, profile=None):
        """traitlets/IPython load_subconfig: merge another file into this config."""
        if profile is not None:
            path = os.path.join(_ipython_dir, "profile_" + profile)
            if not os.path.isdir(path):
                return
        if path is None:
            path = directory
        full = _filefind(fname, path)
        if full is None:
            return  # a missing sub-config is silently treated as empty
        if full in _loading:
            raise RuntimeError("load_subconfig(%r): %s is already being loaded" % (fname, full))
        sub = Config()
        _exec_file(full, sub)
        config.merge(sub)

    def get_config():
        return config

    namespace = dict(c=config, load_subconfig=load_subconfig, get_config=get_config, __file__=path)
    # Deliberately better than traitlets: the IPython docs' snippets use
    # os.environ without importing os (`c.SSHControllerLauncher.user =
    # os.environ.get('USER', 'username')`), which is a NameError in Python.
    namespace["os"] = os
    with open(path, "rb") as f:
        source = f.read()
    _files.add(path)
    _loading.append(path)
    try:
        exec(compile(source, path, "exec"), namespace, namespace)
    finally:
        _loading.pop()


def _error(e):
    import linecache, re
    info = {"type": type(e).__name__, "message": str(e), "file": "", "line": 0}
    if isinstance(e, SyntaxError) and e.filename in _files:
        info["file"], info["line"] = e.filename, e.lineno or 0
        info["message"] = e.msg
    else:
        # innermost frame that belongs to a config file
        for frame in traceback.extract_tb(e.__traceback__):
            if frame.filename in _files:
                info["file"], info["line"] = frame.filename, frame.lineno or 0
    if not info["file"] and _loading:
        info["file"] = _loading[-1]
    if isinstance(e, SystemExit):
        info["message"] = "the config file called exit(%s)" % ("" if e.code is None else repr(e.code))
    name = getattr(e, "name", None)
    if isinstance(e, NameError) and name and info["line"]:
        text = linecache.getline(info["file"], info["line"])
        if re.match(r"\s*%s\.\w+\s*=" % re.escape(name), text):
            info["message"] += " (config settings are written c.%s: did you leave out 'c.'?)" % (
                text.strip().split("=")[0].strip())
    info["traceback"] = "".join(traceback.format_exception(type(e), e, e.__traceback__))[-4000:]
    return info


def _main():
    path = sys.argv[2]
    root = Config()
    try:
        _exec_file(path, root)
        sections = {}
        _flatten(root, "", sections)
        doc = {"sections": sections, "warnings": _warnings}
    except BaseException as e:
        doc = {"error": _error(e)}
    _result.write(json.dumps(doc))
    _result.flush()


_main()
)PY";

}  // namespace ipp::config::detail
