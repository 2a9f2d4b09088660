"""Time the cases that used to be quadratic: redaction of many distinct numbers, long chat histories.

    python bench/bench_reliability.py [MODEL_FOLDER]     (default: models/smollm2_135m, after `make demo`)

Prints: cleaning a 40,000-number export (target: under 2 s), and a greedy 16-token reply after 10 and after
1,000 turns of history and to one 100,000-character message (target: the long ones within 2x the short one).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def redaction() -> float:
    from gemelo.cleaning import clean_path

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "numbers.txt"
        f.write_text("".join(f"21/08/22, 19:{i % 60:02d} - Flor: llamá al +54 9 11 {5000 + i // 10000:04d}-{i % 10000:04d}\n"
                             for i in range(40000)), encoding="utf-8")
        size = f.stat().st_size
        start = time.perf_counter()
        _, metrics = clean_path(f, ["Flor"], {"phones": True})
        seconds = time.perf_counter() - start
    print(f"clean, 40,000 distinct phone numbers ({size:,} bytes): {seconds:.2f} s, "
          f"{metrics['redacted']['TEL']} placeholders")
    return seconds


def replies(folder: str) -> None:
    from gemelo.chat import Sampling, Twin

    twin = Twin.load(folder)
    greedy = Sampling(temperature=0, max_new_tokens=16)

    def timed(history: list[dict]) -> float:
        start = time.perf_counter()
        twin.reply(history, greedy)
        return time.perf_counter() - start

    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"mensaje {i}, ¿todo bien? jaja"}
             for i in range(1001)]
    timed(turns[-1:])  # warm-up
    short, long_ = timed(turns[-11:]), timed(turns)
    huge = timed([{"role": "user", "content": "hola che, ¿cómo andás? " * 4400}])
    print(f"reply after 10 turns: {short:.2f} s; after 1,000 turns: {long_:.2f} s ({long_ / short:.2f}x); "
          f"to a 100,000-character message: {huge:.2f} s ({huge / short:.2f}x)")


if __name__ == "__main__":
    ok = redaction() < 2
    target = sys.argv[1] if len(sys.argv) > 1 else "models/smollm2_135m"
    if Path(target).is_dir():
        replies(target)
    else:
        print(f"{target}: no trained model (run `make demo` first); reply timings skipped")
    sys.exit(0 if ok else 1)
