"""The HubSpot layer: the only code that imports `hubspot-api-client` (and urllib3).

client.py     HubSpotClient: the typed operations
transport.py  the one `_call` boundary: limiter -> SDK -> error mapping -> retries -> stats
ratelimit.py  rolling-window limiters (10-second burst, per-second search) + rate-limit headers
retry.py      the tenacity retry policy (429 / 423 / 5xx / dropped connections)
errors.py     SDK/urllib3 exceptions -> connector errors; WriteOutcomeUnknown
limits.py     HubSpot's page sizes, batch sizes and search caps
versions.py   API versions: the support schedule and the SDK seam that picks a version's paths
convert.py    SDK models -> models.py dataclasses
tasks.py      task batch-create bodies and result alignment
scopes.py     documented scopes, named in 403 messages
probes.py     requests that change nothing, proving a token's scopes before the first write
"""

from __future__ import annotations

from .client import HubSpotClient
from .errors import WriteOutcomeUnknown
from .limits import (
    ASSOCIATION_BATCH_SIZE,
    BATCH_SIZE,
    PAGE_SIZE,
    SEARCH_FILTER_GROUPS,
    SEARCH_PAGE_SIZE,
    SEARCH_RESULT_CAP,
)
from .models import (
    AssociationTarget,
    BatchReadResult,
    BatchWriteResult,
    Owner,
    PropertyInfo,
    Record,
    RecordFailure,
    SearchPage,
    TaskInput,
)
from .ratelimit import RateLimiter, RollingWindowLimiter
from .retry import RetryPolicy

__all__ = [
    "ASSOCIATION_BATCH_SIZE",
    "BATCH_SIZE",
    "PAGE_SIZE",
    "SEARCH_FILTER_GROUPS",
    "SEARCH_PAGE_SIZE",
    "SEARCH_RESULT_CAP",
    "AssociationTarget",
    "BatchReadResult",
    "BatchWriteResult",
    "HubSpotClient",
    "Owner",
    "PropertyInfo",
    "RateLimiter",
    "Record",
    "RecordFailure",
    "RetryPolicy",
    "RollingWindowLimiter",
    "SearchPage",
    "TaskInput",
    "WriteOutcomeUnknown",
]
