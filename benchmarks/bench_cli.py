"""Benchmark: whole processes as a user runs them, every import and the engine's compile cache included.

Each round runs, in turn:
- `python -m fibdash --engine keras`: both tutorial models with Keras' own `fit`, the reference;
- `python -m fibdash` and `python -m fibdash study --seeds 10`, and both with `--split chronological`
  too (issue 25: a split in time trains as fast as the tutorial's shuffle).
Prints the median wall and CPU (user + system) seconds of each command and its speed-up over the
reference's wall time. Issue 17's targets on a 2-core machine: `python -m fibdash` at least 60x the
reference, the study in at most 1.5 s.

    python -m benchmarks.bench_cli [rounds]      (from the repository root; 3 rounds by default)
"""

from __future__ import annotations

import sys

from benchmarks import ROOT, median, run_process

PYTHON = sys.executable
COMMANDS = [  # label, arguments
    ("keras fit", ["-m", "fibdash", "--engine", "keras"]),
    ("fibdash", ["-m", "fibdash"]),
    ("study", ["-m", "fibdash", "study", "--seeds", "10"]),
    ("chronological", ["-m", "fibdash", "--split", "chronological"]),
    ("study chrono.", ["-m", "fibdash", "study", "--seeds", "10", "--split", "chronological"]),
]


def main() -> None:
    rounds = int(sys.argv[1]) if sys.argv[1:] else 3
    runs: dict[str, list[dict]] = {label: [] for label, _ in COMMANDS}
    for _, arguments in COMMANDS[1:]:  # a first run of each fills its compile caches
        run_process([PYTHON, *arguments], ROOT)
    for _ in range(rounds):
        for label, arguments in COMMANDS:
            runs[label].append(run_process([PYTHON, *arguments], ROOT))
    wall = {label: median([run["wall"] for run in label_runs]) for label, label_runs in runs.items()}
    print(f"Whole processes, median of {rounds} rounds")
    print(f"{'command':<10} {'wall s':>7} {'CPU s':>7} {'x keras fit':>12}")
    for label, label_runs in runs.items():
        cpu = median([run["cpu"] for run in label_runs])
        print(f"{label:<10} {wall[label]:>7.2f} {cpu:>7.2f} {wall['keras fit'] / wall[label]:>11.1f}x")
    print(
        f"targets: fibdash at least 60x Keras' fit (now {wall['keras fit'] / wall['fibdash']:.0f}x); "
        f"study at most 1.5 s (now {wall['study']:.2f} s)"
    )


if __name__ == "__main__":
    main()
