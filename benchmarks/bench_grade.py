"""Time ``backprop grade`` on 100 submissions with ``--jobs 1`` and ``--jobs 2``,
and the grader's peak memory.

The folder holds 80 correct submissions and 20 with a wrong BP2 (each file a
little different, as a class's would be). Each run is a fresh
``python -m spec.check.grading`` process with ``--force`` and the same seed; its
peak memory is the sum of the peak resident sets (``VmHWM``) of the grader and
its worker processes, sampled while it runs; the submissions' own child
processes are not counted (they are the sandboxes, limited by ``--memory``). The
load average is printed with the figures: on a busy machine they grow.

Run: ``python benchmarks/bench_grade.py [--n 100] [--repeat 1]``; writes
``results/bench_grade.txt``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grade_submissions import CORRECT  # noqa: E402

WRONG = CORRECT.replace("(delta @ weights[l])", "(delta @ weights[l] * 2)")


def write_folder(folder: Path, n: int) -> None:
    """``n`` submissions, one in five wrong."""
    folder.mkdir()
    for k in range(n):
        source = WRONG if k % 5 == 4 else CORRECT
        (folder / f"student_{k:03d}.py").write_text(f"# student {k}\n{source}")


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _grader_processes(root: int) -> list[int]:
    """The grader and its descendants that are not sandboxes."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"grading/child.py" in command:
            continue
        found.append(pid)
        todo += children.get(pid, [])
    return found


def grade(folder: Path, jobs: int, seed: int) -> tuple[float, float]:
    """Seconds and peak MB of one run."""
    with tempfile.TemporaryDirectory() as results:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        start = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spec.check.grading",
                str(folder),
                "--jobs",
                str(jobs),
                "--seed",
                str(seed),
                "--force",
                "--no-progress",
                "--json-dir",
                results,
                "--timeout",
                "60",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        peaks: dict[int, int] = {}
        while process.poll() is None:
            for pid in _grader_processes(process.pid):
                peaks[pid] = max(peaks.get(pid, 0), _peak_kb(pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"backprop grade exited with {process.returncode}")
    return seconds, sum(peaks.values()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "submissions"
        write_folder(folder, args.n)
        rows = []
        load = os.getloadavg()
        for repeat in range(args.repeat):
            for jobs in (1, 2):
                seconds, peak = grade(folder, jobs, seed=1000 + repeat)
                rows.append((jobs, seconds, peak))
                print(
                    f"--jobs {jobs}: {seconds:6.1f} s, peak {peak:5.0f} MB", flush=True
                )
    best = {j: min(s for jj, s, _ in rows if jj == j) for j in (1, 2)}
    lines = [
        (
            f"backprop grade, {args.n} submissions (80 % correct, 20 % wrong BP2), "
            f"{os.cpu_count()} cores, load average before {load[0]:.1f}"
        ),
        f"{'jobs':>4}  {'seconds':>8}  {'per submission':>14}  {'grader peak MB':>14}",
    ]
    lines += [f"{j:>4}  {s:8.1f}  {s / args.n:14.2f}  {p:14.0f}" for j, s, p in rows]
    lines.append(f"--jobs 2 / --jobs 1 (best of each): {best[2] / best[1]:.2f}")
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "results" / "bench_grade.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
