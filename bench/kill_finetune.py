"""Kill `dvc repro` at random moments during finetune, re-run it, and compare with an uninterrupted run.

    python bench/kill_finetune.py [KILLS] [SEED]      (from the project root, with the venv's bin on PATH)

Works in a temporary clone of this repository with `model=[tiny]` (5,000 steps, a checkpoint every 50):
the clean, group and format stages run once; then `dvc repro finetune@tiny` is killed (SIGKILL to its whole
process group, as a power cut or the OOM killer would) KILLS times at random moments, then run to the end; the final weights must equal those of an uninterrupted run. Prints each kill and the result; exits 1
on a failure.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ["model=[tiny]", "model.tiny.train.max_steps=5000", "model.tiny.train.save_steps=50",
            "model.tiny.train.eval_steps=2500"]


def sh(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def project(where: Path) -> Path:
    """A clone of this working tree (tracked files as they are now), its params composed for the tiny model."""
    sh(["git", "init", "-q", str(where)], ROOT)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for f in filter(None, files):
        src, dst = ROOT / f.decode(), where / f.decode()
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    sh([sys.executable, "-m", "gemelo", "params", *SETTINGS], where)
    sh(["git", "add", "-A"], where)
    sh(["git", "-c", "user.name=k", "-c", "user.email=k@k", "commit", "-qm", "k"], where)
    sh(["dvc", "repro", "format@tiny"], where)
    return where


def repro(cwd: Path, kill_after: float | None) -> int | None:
    """`dvc repro finetune@tiny`; with kill_after, SIGKILL its process group after that many seconds."""
    proc = subprocess.Popen(["dvc", "repro", "finetune@tiny"], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def weights(cwd: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(cwd / "models" / "tiny" / "model.safetensors"))


def main(kills: int = 5, seed: int = 0) -> int:
    import torch

    rng = random.Random(seed)
    env_cache = tempfile.mkdtemp(prefix="gemelo-cache-")
    os.environ["GEMELO_CACHE"] = env_cache  # the tiny base model, built once and shared by both projects
    with tempfile.TemporaryDirectory() as tmp:
        plain, killed = project(Path(tmp) / "plain"), project(Path(tmp) / "killed")
        start = time.perf_counter()
        if repro(plain, None) != 0:
            print("FAIL: the uninterrupted run failed")
            return 1
        whole = time.perf_counter() - start
        print(f"uninterrupted: {whole:.1f} s")
        for k in range(kills):
            at = rng.uniform(12, 30)  # after start-up (some 10 s), while it trains or saves a checkpoint
            code = repro(killed, at)
            steps = sorted(p.name for p in (killed / "checkpoints" / "tiny").glob("checkpoint-*"))
            print(f"kill {k + 1}: after {at:.1f} s ({'killed' if code is None else f'finished, exit {code}'}); "
                  f"checkpoints left: {', '.join(steps) or 'none'}")
        code = repro(killed, None)
        same = code == 0 and all(torch.equal(a, b) for a, b in zip(weights(plain).values(), weights(killed).values()))
        print(f"final run: exit {code}; weights {'equal' if same else 'DIFFERENT'} to the uninterrupted run's")
        left = [str(p) for p in killed.rglob("*.tmp")]
        print(f"temporaries left: {left or 'none'}")
    shutil.rmtree(env_cache, ignore_errors=True)
    return 0 if same and not left else 1


if __name__ == "__main__":
    sys.exit(main(*[int(a) for a in sys.argv[1:3]]))
