#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Extract every config line of the seed documents into a test fixture.

The seeds (../shared/seeds/*.txt) are the user documents our configuration
loader must understand. Every line matching `c\\.[A-Z]` (the same pattern as
`grep -n "c\\.[A-Z]"`) becomes one entry of tests/fixtures/seeds/config_lines.json:

  statement  a config statement (commented-out `# c.X.y = ...` lines are
             uncommented; indentation removed); multi-line dicts run to their
             closing bracket; statements that use variables defined above
             (the seed-000 loop, `ex_ip = socket...`) take those lines too;
  mention    prose or non-config code that merely contains `c.X` (reason given).

tests/unit/config/seeds_test.cpp loads each statement through the right
program and checks its meaning, and fails if the live seeds contain a line
this fixture lacks. Rerun after the seeds change:

  /usr/bin/python3 tools/extract_seed_config_lines.py ../shared/seeds > tests/fixtures/seeds/config_lines.json
"""
import json
import os
import re
import sys

HIT = re.compile(r"c\.[A-Z]")
STATEMENT = re.compile(r"^c\.[A-Z]\w*(\.\w+)+\s*(=|\.(append|extend|insert|prepend|update|add)\()")

# Statements whose value is computed by the lines above them: first line of
# the block to include.
CONTEXT = {
    ("000_45c11535bbffcdf1.txt", 89): 85,  # mcs = dict(); for i in range(1, 4): ...
    ("001_b8ccf73a33d932e6.txt", 222): 220,  # import socket; ex_ip = ...
    ("003_cb478649a8094a53.txt", 407): 401,  # import socket; hostname = ...; ex_ip = ...
}

MENTION_REASONS = {
    "epyc.ClusterLab": "epyc client code (epyc.ClusterLab), not configuration",
}


def program_for(statement):
    cls = statement[2:].split(".", 1)[0]
    if cls in ("HubFactory", "IPController", "IPControllerApp", "SQLiteDB", "MongoDB", "DictDB",
               "HeartMonitor", "TaskScheduler"):
        return "controller"
    if cls in ("IPEngine", "IPEngineApp", "EngineFactory", "MPI"):
        return "engine"
    return "cluster"


def normalise(line):
    """Dedent and uncomment a `# c.X.y = ...` line."""
    s = line.strip()
    if re.match(r"^#\s*c\.[A-Z]", s):
        s = re.sub(r"^#\s*", "", s)
    return s


def balance(text):
    depth = 0
    quote = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def block(lines, first, last):
    """Lines first..last (1-based), dedented as one block, config comments uncommented."""
    chunk = lines[first - 1:last]
    indents = [len(l) - len(l.lstrip()) for l in chunk if l.strip()]
    cut = min(indents) if indents else 0
    out = []
    for l in chunk:
        l = l[cut:] if len(l) >= cut else l.lstrip()
        if re.match(r"^\s*#\s*c\.[A-Z]", l):
            l = re.sub(r"^(\s*)#\s*", r"\1", l)
        out.append(l.rstrip())
    return "\n".join(out) + "\n"


def main(seed_dir):
    entries = []
    for name in sorted(os.listdir(seed_dir)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(seed_dir, name), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, raw in enumerate(lines, start=1):
            if not HIT.search(raw):
                continue
            entry = {"seed": name, "line": i, "hit": raw}
            s = normalise(raw)
            if STATEMENT.match(s):
                first = CONTEXT.get((name, i), i)
                last = i
                depth = balance(s)
                while depth > 0 and last < len(lines):
                    last += 1
                    depth += balance(lines[last - 1])
                entry.update(kind="statement", program=program_for(s), first_line=first,
                             last_line=last, code=block(lines, first, last))
            else:
                reason = next((r for k, r in MENTION_REASONS.items() if k in raw),
                              "prose that names a setting, not a config statement")
                entry.update(kind="mention", reason=reason)
            entries.append(entry)
    json.dump(entries, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..",
                                                             "shared", "seeds"))
