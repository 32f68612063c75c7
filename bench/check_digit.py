"""The resident ID check digit: the weighted sum we used to write by hand against python-stdnum's
`cn.ric.calc_check_digit`, which xueji_common.documents.text now calls because it measured faster.

    .venv/bin/python bench/check_digit.py [--numbers 50000] [--rounds 15]

Both compute over the same random first-17 digits, best of `--rounds`; their answers are compared
first, so the figures are printed only when they agree on every number. `check_character` is
xueji_common's function as it is now (stdnum behind a placeholder check digit).
"""

from __future__ import annotations

import argparse
import operator
import random
import time

from xueji_common.documents.text import check_character, resident_id_check_digit

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ZEROS = ord("0") * sum(_WEIGHTS)


def weighted_sum(first17: str) -> str:
    """Our former check_character: byte values are the digits plus ord("0"), taken off once."""
    return "10X98765432"[(sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]


def timed(fn, numbers: list[str]) -> float:
    started = time.perf_counter()
    for n in numbers:
        fn(n)
    return (time.perf_counter() - started) / len(numbers) * 1e9  # ns per number


def best(candidates: dict, rounds: int) -> dict[str, float]:
    """Best time of each candidate over `rounds`, taking turns round by round (the machine's load
    changes over a run; turns spread it evenly)."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, (fn, numbers) in candidates.items():
            times[name].append(timed(fn, numbers))
    return {name: min(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    from stdnum.cn import ric

    rng = random.Random(18)
    numbers = [f"{rng.randrange(10**17):017d}" for _ in range(args.numbers)]
    with_placeholder = [n + "0" for n in numbers]  # stdnum takes the whole number, check digit included
    assert all(
        weighted_sum(n) == ric.calc_check_digit(w) == resident_id_check_digit(n)
        for n, w in zip(numbers, with_placeholder)
    )
    t = best(
        {
            "ours": (weighted_sum, numbers),
            "theirs": (ric.calc_check_digit, with_placeholder),
            "now": (check_character, numbers),
            "validated": (resident_id_check_digit, numbers),
        },
        args.rounds,
    )
    print(f"check digit, hand-written weighted sum:             {t['ours']:.0f} ns/number")
    print(
        f"check digit, python-stdnum cn.ric.calc_check_digit:  {t['theirs']:.0f} ns/number "
        f"(ratio {t['theirs'] / t['ours']:.2f})"
    )
    print(
        f"xueji_common check_character (stdnum + placeholder): {t['now']:.0f} ns/number "
        f"(ratio {t['now'] / t['ours']:.2f})"
    )
    print(f"xueji_common resident_id_check_digit (validates):    {t['validated']:.0f} ns/number")


if __name__ == "__main__":
    main()
