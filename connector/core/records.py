"""Record ids, merged-contact aliases and batches: the small helpers every layer needs once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def id_order(record_id: str) -> tuple[int, int, str]:
    """Sort key for HubSpot record ids: numerically when all digits ("10" after "9"), others after, as text."""
    if record_id.isascii() and record_id.isdigit():
        return (0, int(record_id), record_id)
    return (1, 0, record_id)


def is_later(t: int, sid: str, held_t: int, held_sid: str) -> bool:
    """Whether an answer at time `t` with submission id `sid` is later than the one held (time, then id)."""
    # The id order only on a tie of times: ties are rare, and id_order builds a tuple.
    return t > held_t or (t == held_t and id_order(sid) > id_order(held_sid))


def resolve_alias(contact_id: str, aliases: Mapping[str, str]) -> str:
    """Follow merged-contact aliases (old id -> survivor) to the surviving contact; a cycle stops it."""
    seen = {contact_id}
    while contact_id in aliases and aliases[contact_id] not in seen:
        contact_id = aliases[contact_id]
        seen.add(contact_id)
    return contact_id


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split items into lists of at most `size` (HubSpot batch calls take up to 100 or 1,000)."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
