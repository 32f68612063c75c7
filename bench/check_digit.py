"""The resident ID check digit: ours (xueji_common.documents.text) against python-stdnum's cn.ric.

    .venv/bin/python bench/check_digit.py [--numbers 200000] [--rounds 5]

Issue 18 asked whether python-stdnum's `cn.ric.calc_check_digit` could replace ours if as fast. It
is not installed with the project (the answer so far: keep ours); `pip install python-stdnum` to run
the comparison. Both compute over the same random first-17 digits, best of `--rounds`; the two
answers are also compared, so the figure is only printed when they agree on every number.
"""
from __future__ import annotations

import argparse
import random
import time

from xueji_common.documents.text import check_character, resident_id_check_digit


def best(fn, numbers: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for n in numbers:
            fn(n)
        times.append(time.perf_counter() - started)
    return min(times) / len(numbers) * 1e9   # ns per number


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:
        from stdnum.cn import ric
    except ImportError:
        raise SystemExit("python-stdnum is not installed: pip install python-stdnum") from None
    rng = random.Random(18)
    numbers = [f"{rng.randrange(10**17):017d}" for _ in range(args.numbers)]
    with_placeholder = [n + "0" for n in numbers]   # stdnum takes the whole number, check digit included
    assert all(resident_id_check_digit(n) == ric.calc_check_digit(w) for n, w in zip(numbers, with_placeholder))
    ours = best(resident_id_check_digit, numbers, args.rounds)
    inner = best(check_character, numbers, args.rounds)
    theirs = best(ric.calc_check_digit, with_placeholder, args.rounds)
    print(f"check digit, ours (validated, resident_id_check_digit): {ours:.0f} ns/number")
    print(f"check digit, ours (digits known, check_character):      {inner:.0f} ns/number")
    print(f"check digit, python-stdnum cn.ric.calc_check_digit:     {theirs:.0f} ns/number "
          f"(ratio to check_character {theirs / inner:.2f})")


if __name__ == "__main__":
    main()
