"""Benchmark: whole processes as a user runs them, every import and the engine's compile cache included.

Each round runs, in turn:
- `python -m fibdash --engine keras`: both tutorial models with Keras' own `fit`, the reference;
- `python -m fibdash` and `python -m fibdash study --seeds 10`, from a copy of revision BEFORE (the
  XLA engine on TensorFlow) and from this tree, and from this tree with `--split chronological` too
  (issue 25: a split in time trains as fast as the tutorial's shuffle).
Prints the median wall and CPU (user + system) seconds of each command and its speed-up over the
reference's wall time. Issue 17's targets on a 2-core machine: `python -m fibdash` at least 60x the
reference, the study in at most 1.5 s.

    python -m benchmarks.bench_cli [rounds]      (from the repository root; 3 rounds by default)
"""

from __future__ import annotations

import sys

from benchmarks import BEFORE, ROOT, median, revision_tree, run_process

PYTHON = sys.executable
COMMANDS = [  # label, from revision BEFORE?, arguments
    ("keras fit", False, ["-m", "fibdash", "--engine", "keras"]),
    ("before: fibdash", True, ["-m", "fibdash"]),
    ("fibdash", False, ["-m", "fibdash"]),
    ("before: study", True, ["-m", "fibdash", "study", "--seeds", "10"]),
    ("study", False, ["-m", "fibdash", "study", "--seeds", "10"]),
    ("chronological", False, ["-m", "fibdash", "--split", "chronological"]),
    ("study chrono.", False, ["-m", "fibdash", "study", "--seeds", "10", "--split", "chronological"]),
]


def main() -> None:
    rounds = int(sys.argv[1]) if sys.argv[1:] else 3
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in COMMANDS}
    with revision_tree() as before_tree:
        for _, before, arguments in COMMANDS[1:]:  # a first run of each fills its compile caches
            run_process([PYTHON, *arguments], before_tree if before else ROOT)
        for _ in range(rounds):
            for label, before, arguments in COMMANDS:
                runs[label].append(run_process([PYTHON, *arguments], before_tree if before else ROOT))
    wall = {label: median([run["wall"] for run in label_runs]) for label, label_runs in runs.items()}
    print(f"Whole processes, median of {rounds} rounds; 'before' is revision {BEFORE}")
    print(f"{'command':<16} {'wall s':>7} {'CPU s':>7} {'x keras fit':>12}")
    for label, label_runs in runs.items():
        cpu = median([run["cpu"] for run in label_runs])
        print(f"{label:<16} {wall[label]:>7.2f} {cpu:>7.2f} {wall['keras fit'] / wall[label]:>11.1f}x")
    print(
        f"targets: fibdash at least 60x Keras' fit (now {wall['keras fit'] / wall['fibdash']:.0f}x); "
        f"study at most 1.5 s (now {wall['study']:.2f} s)"
    )


if __name__ == "__main__":
    main()
