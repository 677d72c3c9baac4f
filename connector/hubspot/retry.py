"""The retry policy: the one place HubSpot calls are retried (tenacity; SDK retries are off).

Only `RetriableError` (see `errors.classify`) is retried. The wait before retry n (1-based):

    Retry-After given     -> exactly that (a wait longer than `max_retry_after_s` gives up at once)
    otherwise             -> max(min_wait, backoff(n)), where
                             backoff(n) = min(max_delay_s, base_delay_s * 2**(n-1)) * U(0.5, 1.0)
                             min_wait = the rate-limit window for a 429 (10 s burst, 1 s search),
                             2 s for a 423 lock, 0 for 5xx and dropped connections

After `max_retries` retries (so `max_retries + 1` attempts) the last failure becomes
`HubSpotUnavailable` (exit 5), naming the operation and the last status. Each retry is logged
as ``hubspot.retry`` with operation, status, attempt and wait_s — never the token.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from connector.errors import HubSpotUnavailable

from .errors import RetriableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `jitter` returns a number in [0, 1)."""

    max_retries: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry_number: int) -> float:
        """Exponential backoff with jitter for the n-th retry (1-based), capped."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** max(0, retry_number - 1))
        return float(ceiling * (0.5 + 0.5 * self.jitter()))

    def wait_for(self, failure: RetriableError, retry_number: int) -> float:
        """Seconds to wait before the n-th retry after `failure`."""
        if failure.retry_after is not None:
            return failure.retry_after
        return max(failure.min_wait, self.backoff(retry_number))


def call_with_retries(
    attempt: Callable[[], T],
    *,
    operation: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    logger: Any,
    on_retry: Callable[[RetriableError, float], None] | None = None,
) -> T:
    """Run `attempt` until it succeeds, raises a non-retriable error, or retries run out."""

    def wait(state: RetryCallState) -> float:
        return policy.wait_for(_failure(state), state.attempt_number)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > policy.max_retries:
            return True
        failure = _failure(state)
        return failure.retry_after is not None and failure.retry_after > policy.max_retry_after_s

    def before_sleep(state: RetryCallState) -> None:
        failure = _failure(state)
        wait_s = state.upcoming_sleep
        logger.warning(
            "hubspot.retry",
            operation=operation,
            status=failure.status,
            attempt=state.attempt_number,
            wait_s=round(wait_s, 3),
            reason=failure.description,
        )
        if on_retry is not None:
            on_retry(failure, wait_s)

    retrying = Retrying(
        sleep=sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception_type(RetriableError),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except RetriableError as last:
        attempts = retrying.statistics.get("attempt_number", policy.max_retries + 1)
        if last.retry_after is not None and last.retry_after > policy.max_retry_after_s:
            raise HubSpotUnavailable(
                f"HubSpot {operation} is unavailable: HubSpot asks to wait {last.retry_after:.0f} s "
                f"(more than {policy.max_retry_after_s:.0f} s); last: {last.description}"
            ) from last
        raise HubSpotUnavailable(
            f"HubSpot {operation} still failing after {attempts} attempt(s); last: {last.description}"
        ) from last


def _failure(state: RetryCallState) -> RetriableError:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    if isinstance(exc, RetriableError):
        return exc
    return RetriableError("unknown failure")  # pragma: no cover - only RetriableError is retried
