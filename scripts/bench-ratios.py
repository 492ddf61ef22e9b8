#!/usr/bin/env python3
"""Reads `cargo bench -p entitle-bench --bench decision` (divan) output on standard input and prints,
for every benchmark, its median and its ratio to the core measured in the same run: the cancel decisions
against the core's `can_cancel` of the same status, and `apply` against the core's `apply` of the same
cell. Exits 1, naming them, when any case was sampled with fewer than 100 iterations a sample."""

import re
import statistics
import sys

UNITS = {"ps": 0.001, "ns": 1.0, "µs": 1000.0, "us": 1000.0, "ms": 1e6}
# A sample of fewer iterations than this is at the mercy of the timer's precision.
MIN_ITERATIONS_PER_SAMPLE = 100
medians, path, thin = {}, [], []
for line in sys.stdin:
    if line.startswith("sizes: "):
        print(line.rstrip("\n"))
        continue
    match = re.match(r"^([│ ]*)(├─|╰─) (.+?)(?:\s{2,}|\s*│)(.*)$", line.rstrip("\n"))
    if not match:
        continue
    depth = len(match.group(1)) // 3
    path = path[:depth] + [match.group(3).strip()]
    columns = [column.strip() for column in match.group(4).split("│")]
    if len(columns) >= 3 and columns[2]:
        value, unit = columns[2].split()
        medians["/".join(path)] = float(value) * UNITS[unit]
        if len(columns) >= 6 and columns[4].isdigit() and columns[5].isdigit():
            samples, iterations = int(columns[4]), int(columns[5])
            if iterations < MIN_ITERATIONS_PER_SAMPLE * samples:
                thin.append(f"{'/'.join(path)}: {iterations // max(samples, 1)} iterations a sample")

def ratio_table(title, group, baseline, peers, keys):
    print(f"\n{title} (median ns, × {baseline} of the same row, same run)")
    print(f"{'':28}" + "".join(f"{name:>24}" for name in [baseline] + peers))
    for key in keys:
        base = medians.get(f"{group}/{baseline}/{key}")
        if base is None:
            continue
        cells = [f"{base:9.3g} (1.00×)"]
        for peer in peers:
            value = medians.get(f"{group}/{peer}/{key}")
            cells.append("—" if value is None else f"{value:9.3g} ({value / base:.2f}×)")
        print(f"{key:28}" + "".join(f"{cell:>24}" for cell in cells))

statuses = sorted({key.split("/")[-1] for key in medians if key.startswith("cancel_decision/core_can_cancel/")})
ratio_table("cancel decision", "cancel_decision", "core_can_cancel",
            ["core_is_cancelable", "naive_string_table", "rust_fsm", "statig"], statuses)
cells = sorted({key.split("/")[-1] for key in medians if key.startswith("apply/core/")})
ratio_table("apply", "apply", "core", ["request_copy", "naive_string_table", "rust_fsm", "statig"], cells)
if not medians:
    sys.exit("bench-ratios: no divan output on standard input")
if statuses:
    base = statistics.median(medians[f"cancel_decision/core_can_cancel/{s}"] for s in statuses)
    print(f"\nmedian over statuses: core can_cancel {base:.3g} ns", end="")
    for peer in ["core_is_cancelable", "naive_string_table", "rust_fsm", "statig"]:
        values = [medians[f"cancel_decision/{peer}/{s}"] for s in statuses if f"cancel_decision/{peer}/{s}" in medians]
        if values:
            print(f"; {peer} {statistics.median(values) / base:.2f}×", end="")
    print()
if thin:
    print(f"\nbench-ratios: cases sampled with fewer than {MIN_ITERATIONS_PER_SAMPLE} iterations a sample "
          "(their figures are not to be trusted):", file=sys.stderr)
    for line in thin:
        print(f"  {line}", file=sys.stderr)
    sys.exit(1)
