"""HubSpot's documented page sizes and caps, in one place for every caller."""

from __future__ import annotations

BATCH_SIZE = 100  # batch read/update/create take at most 100 inputs
ASSOCIATION_BATCH_SIZE = 1000  # v4 association batch read: at most 1,000 inputs
PAGE_SIZE = 100  # list endpoints: at most 100 per page
SEARCH_PAGE_SIZE = 200  # search: at most 200 per page
SEARCH_RESULT_CAP = 10_000  # search answers 400 past the 10,000th result of one query
SEARCH_FILTER_GROUPS = 5  # search: at most five filter groups
