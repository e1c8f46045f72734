"""Retries with exponential backoff and full jitter, bounded and injectable.

Only :class:`~pipeline.submit.targets.Transient` failures are retried
(connection errors, timeouts, 5xx): repeating a request the server refused
(4xx) would only repeat the refusal. ``sleep`` and ``rng`` are parameters so
tests run in milliseconds and see the exact delays chosen.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from pipeline.submit.targets import Transient

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """At most *attempts* tries; before try n+1 wait a random time in
    ``[0, min(cap, base * 2**(n-1))]`` (full jitter, so many clients that failed
    together do not come back together)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def delay(self, failures: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** (failures - 1)))


@dataclass
class Tries:
    """How many tries one call took, and the failures on the way (for the ledger)."""

    count: int = 0
    failures: list[str] = field(default_factory=list)


def with_retries(call: Callable[[], T], policy: RetryPolicy, *, tries: Tries,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> T:
    """Run *call*; on Transient wait and try again, up to ``policy.attempts`` tries.

    The last Transient is raised when the tries are used up; any other
    exception is raised at once.
    """
    rng = rng or random.Random()
    failed = 0
    while True:
        tries.count += 1
        try:
            return call()
        except Transient as exc:
            failed += 1
            tries.failures.append(str(exc))
            if failed >= max(1, policy.attempts):
                raise
            sleep(policy.delay(failed, rng))
