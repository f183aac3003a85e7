"""AuditCheckpointWorkflow: recheck the audit chain and email its head hash to the auditors.

Run by a Temporal Schedule. The emails are the checkpoint: the auditors hold, outside this
system, the hash the chain had at that time, so even rewriting the whole chain shows.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.audit import AuditActivities
    from workflows.checkpoint_messages import CheckpointInput, CheckpointResult


@workflow.defn
class AuditCheckpointWorkflow:
    @workflow.run
    async def run(self, request: CheckpointInput) -> CheckpointResult:
        return await workflow.execute_activity_method(
            AuditActivities.email_checkpoint,
            CheckpointInput(
                email_task_queue=request.email_task_queue,
                taken_at=workflow.now(),
                checkpoint_id=workflow.info().workflow_id,
            ),
            task_queue=request.email_task_queue,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
