# SPDX-License-Identifier: BSD-3-Clause
"""Throughput against engine count, both controllers, one panel per path.

    /usr/bin/python3 bench/plot.py RESULTS.json|- OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = [("task", "task scheduler (load-balanced, hwm=1)"),
         ("task-pure", "pure ZMQ task queue (no scheduling)"), ("mux", "MUX (direct)"),
         ("broadcast", "broadcast tree")]
STYLE = {"python": ("Python ipcontroller 7.1", "tab:orange", "o"),
         "ours": ("ours (C++)", "tab:blue", "s")}


def main():
    source, out = sys.argv[1], sys.argv[2]
    results = json.load(sys.stdin if source == "-" else open(source))
    rows = [r for r in results["loadgen"] if r.get("complete")]
    fig, axes = plt.subplots(1, len(MODES), figsize=(18, 4.2), sharey=True)
    for ax, (mode, title) in zip(axes, MODES):
        for impl, (label, color, marker) in STYLE.items():
            points = sorted((r["engines"], r["replies_per_s"]) for r in rows
                            if r["impl"] == impl and r["mode"] == mode)
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker,
                        color=color, label=label)
        ax.set_title(title)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("fake engines")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("engine replies per second")
    axes[0].legend()
    fig.suptitle("Controller alone under ipp_loadgen "
                 f"({results['machine']['cpus']} CPUs, load generator on the same machine)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
