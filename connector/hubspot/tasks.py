"""Task creation helpers: building batch-create inputs and lining results up with inputs.

Kept apart from the client because it is pure: SDK model construction in, ids out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hubspot.crm.objects import (
    AssociationSpec,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInputForCreate,
)

from .models import Record, TaskInput

TASK_TO_CONTACT = 204  # HUBSPOT_DEFINED task -> contact (SDK hubspot/crm/association_type.py)
TASK_TO_COMPANY = 192  # HUBSPOT_DEFINED task -> company
BODY_PROPERTY = "hs_task_body"


def batch_create_request(inputs: Sequence[TaskInput], config: Any = None) -> Any:
    """The SDK body of ``POST /crm/v3/objects/tasks/batch/create`` for `inputs` (`config`: the SDK's, see `_config`).

    No `objectWriteTraceId` is set, so HubSpot creates the batch all-or-nothing: an error
    answer means none of it was created.
    """
    return BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            SimplePublicObjectInputForCreate(
                properties=dict(task.properties),
                associations=_associations(task, config),
                local_vars_configuration=config,
            )
            for task in inputs
        ],
        local_vars_configuration=config,
    )


def _associations(task: TaskInput, config: Any) -> list[Any]:
    links = [_link(task.contact_id, TASK_TO_CONTACT, config)] if task.contact_id else []
    if task.company_id:
        links.append(_link(task.company_id, TASK_TO_COMPANY, config))
    return links


def _link(to_id: str, type_id: int, config: Any) -> Any:
    spec = AssociationSpec(
        association_category="HUBSPOT_DEFINED", association_type_id=type_id, local_vars_configuration=config
    )
    return PublicAssociationsForObject(
        to=PublicObjectId(id=to_id, local_vars_configuration=config), types=[spec], local_vars_configuration=config
    )


def align_ids(inputs: Sequence[TaskInput], created: Sequence[Record]) -> list[str] | None:
    """The created ids in the order of `inputs`, or None when they cannot be lined up.

    HubSpot does not promise to answer a batch in input order, so results are matched by
    `hs_task_body` when every input has a distinct one (the connector's bodies carry the
    feedback submission id); otherwise the answer's order is trusted if the counts agree.
    """
    if len(created) != len(inputs):
        return None
    bodies = [task.properties.get(BODY_PROPERTY) for task in inputs]
    if all(bodies) and len(set(bodies)) == len(bodies):
        by_body = {rec.properties.get(BODY_PROPERTY): rec.id for rec in created}
        if all(body in by_body for body in bodies):
            return [by_body[body] for body in bodies]
    return [rec.id for rec in created]
