"""The one boundary every HubSpot call crosses: rate limiter -> SDK -> error mapping -> retries.

`HubSpotTransport._call` runs one SDK ``*_with_http_info`` call:

    checkpoint (a stop requested?)  ->  write gate (the preflight, once, before the first write)
    ->  rate limiter (burst or search)  ->  SDK call  ->  error mapping (errors.classify)
    ->  tenacity retries (retry.call_with_retries)  ->  per-operation call counts (`stats`)

The SDK's own urllib3 retries are switched off, so retries happen in that one place only.
Every call that succeeds adds the scopes it needed to `granted_scopes`, so a preflight only
probes what the run has not already shown to work.
`HubSpotClient` (client.py) builds the typed operations on top of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import hubspot
import structlog
from urllib3.util.retry import Retry

from connector.config import token_problem
from connector.errors import ConfigError

from .errors import RetriableError, classify
from .ratelimit import RateLimiter
from .retry import RetryPolicy, call_with_retries
from .versions import DEFAULT_VERSION, api_factory
from .versions import api_version as api_version_named


@dataclass(frozen=True)
class _Response:
    data: Any
    status: int
    headers: Mapping[str, str]


class HubSpotTransport:
    """SDK construction, rate limits, retries and call counts; subclassed by `HubSpotClient`."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        requests_per_10s: int = 100,
        search_per_second: float = 4,
        max_retries: int = 6,
        timeout_seconds: float = 30,
        logger: Any = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        retry_policy: RetryPolicy | None = None,
        api_version: str = DEFAULT_VERSION,
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        """`max_retries` counts retries after the first attempt; a `retry_policy` replaces it.

        `clock`/`sleep` drive the rate limiters and the retry waits (tests pass fakes; the CLI
        passes a sleep that a stop signal cuts short). `checkpoint` runs before every HTTP
        request and may raise to stop the run there, between two calls, never inside one.
        `api_version` is `hubspot.api_version`: "2026-09", "2026-03" or "v3" (versions.py).
        """
        problem = token_problem(access_token)
        if problem:
            # Checked where the token is used too: the HTTP library would put it into its own error.
            raise ConfigError(f"the HubSpot access token cannot be used: {problem}")
        base_url = base_url.rstrip("/")
        # `host` is what the generated APIs use, `base_url` what client.api_request uses;
        # Retry(total=False): urllib3 neither retries nor wraps errors (tenacity retries, once).
        self.api_version = api_version_named(api_version)
        self._sdk = hubspot.HubSpot(
            access_token=access_token,
            host=base_url,
            base_url=base_url,
            retry=Retry(total=False, redirect=0),
            api_factory=api_factory(self.api_version),
        )
        self._secret = access_token
        self.base_url = base_url
        self.limits = RateLimiter(requests_per_10s, search_per_second, clock=clock, sleep=sleep)
        self._policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._log: Any = logger if logger is not None else structlog.get_logger("connector.hubspot")
        self._stats_lock = threading.Lock()
        self.stats: dict[str, int] = {}  # HTTP requests per operation, retries included
        self.retries: dict[str, int] = {}  # retries per operation
        self.granted_scopes: set[str] = set()  # the one scope a successful call needed: the token has it
        self._checkpoint = checkpoint
        self._before_first_write: Callable[[], None] | None = None
        self._gate_lock = threading.Lock()  # concurrent first writes wait for the one preflight
        self._gate_thread: int | None = None  # the thread running the hook: its own requests pass

    def before_first_write(self, hook: Callable[[], None] | None) -> None:
        """Run `hook` once, just before the first request that needs a write scope (None: no gate).

        The hook's own requests pass the gate. If it raises, the gate stays armed and the write
        never starts, so a failed preflight writes nothing.
        """
        self._before_first_write = hook

    @property
    def write_gate_armed(self) -> bool:
        """Whether the write gate is still closed: no write has started (or a preflight failed)."""
        return self._before_first_write is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_version={self.api_version.name!r})"

    # ------------------------------------------------------------------ the one boundary

    def _call(
        self,
        operation: str,
        fn: Callable[[], Any],
        *,
        search: bool = False,
        write_safe_to_retry: bool = True,
        scopes: Sequence[str] = (),
    ) -> _Response:
        """Run one SDK ``*_with_http_info`` call through limiter, error mapping and retries."""
        if self._before_first_write is not None and _writes(scopes) and self._gate_thread != threading.get_ident():
            self._open_write_gate()

        def attempt() -> _Response:
            if self._checkpoint is not None:
                self._checkpoint()
            self._count(self.stats, operation)
            with self.limits.slot(search=search):
                try:
                    result = fn()
                except Exception as exc:
                    self.limits.observe(_headers(getattr(exc, "headers", None)))
                    mapped = classify(
                        exc,
                        operation=operation,
                        scopes=scopes,
                        search=search,
                        write_safe_to_retry=write_safe_to_retry,
                        secret=self._secret,
                        base_url=self.base_url,
                    )
                    if mapped is None:
                        raise
                    raise mapped from exc
            data, status, headers = _unpack(result)
            self.limits.observe(headers)
            return _Response(data, status, headers)

        def on_retry(_failure: RetriableError, _wait_s: float) -> None:
            self._count(self.retries, operation)

        response = call_with_retries(
            attempt, operation=operation, policy=self._policy, sleep=self._sleep, logger=self._log, on_retry=on_retry
        )
        if len(scopes) == 1:  # with several, HubSpot may have wanted only one of them
            with self._stats_lock:
                self.granted_scopes.add(scopes[0])
        return response

    def _open_write_gate(self) -> None:
        with self._gate_lock:
            hook = self._before_first_write
            if hook is None:
                return  # another thread's preflight passed meanwhile
            self._gate_thread = threading.get_ident()
            try:
                hook()
            finally:
                self._gate_thread = None
            self._before_first_write = None  # passed: later writes go straight through

    def _count(self, counter: dict[str, int], operation: str) -> None:
        with self._stats_lock:
            counter[operation] = counter.get(operation, 0) + 1

    # SDK API objects are built once: every discovery access builds a new urllib3 pool.
    @cached_property
    def _objects_basic(self) -> Any:
        return self._sdk.crm.objects.basic_api

    @cached_property
    def _objects_batch(self) -> Any:
        return self._sdk.crm.objects.batch_api

    @cached_property
    def _objects_search(self) -> Any:
        return self._sdk.crm.objects.search_api

    @cached_property
    def _associations_batch(self) -> Any:
        return self._sdk.crm.associations.v4.batch_api

    @cached_property
    def _owners(self) -> Any:
        return self._sdk.crm.owners.owners_api

    @cached_property
    def _properties(self) -> Any:
        return self._sdk.crm.properties.core_api

    @cached_property
    def _groups(self) -> Any:
        return self._sdk.crm.properties.groups_api


def _writes(scopes: Sequence[str]) -> bool:
    """Whether a request needs a write scope (creates or updates something in HubSpot)."""
    return any(scope.endswith(".write") for scope in scopes)


def _unpack(result: Any) -> tuple[Any, int, Mapping[str, str]]:
    if isinstance(result, tuple) and len(result) == 3:
        data, status, headers = result
        return data, int(status) if isinstance(status, int) else 200, _headers(headers)
    return result, 200, {}


def _headers(raw: object) -> Mapping[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return {}
