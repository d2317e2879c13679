"""Time a whole-program check (``backprop check FILE.py``, :func:`spec.check_program`).

For each of the project's programs in ``tests/programs`` (tutorial-style and
Nielsen-style), a fresh ``python -m backprop check FILE.py``: wall-clock and CPU
(user + system) time of the whole command, imports included; then the same for one
seeded mistake of each (the diagnosis and the traced line included). The load
average is printed with the figures: on a busy machine the wall-clock time grows
while the CPU time does not.

Run: ``python benchmarks/bench_program.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "programs"
SEEDED = ("t_bp2_z_of_next_layer", "n_step_l2_decay_off")


def _run(path: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    sys.path.insert(0, str(PROGRAMS))
    from seeded_program_mistakes import SEEDED as TABLE

    targets = {
        "tutorial_program.py": PROGRAMS / "tutorial_program.py",
        "nielsen_program.py": PROGRAMS / "nielsen_program.py",
    }
    folder = Path(tempfile.mkdtemp())
    for mistake in TABLE:
        if mistake.name in SEEDED:
            targets[f"seeded {mistake.name}"] = mistake.write(folder)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    for name, path in targets.items():
        wall, cpu, status = _run(path)
        print(f"{name:36s} exit {status}  {wall:6.2f} s wall  {cpu:6.2f} s CPU")


if __name__ == "__main__":
    main()
