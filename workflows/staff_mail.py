"""StaffMailWorkflow: send one email to a member of staff (a sign-in link, an invitation).

A workflow of its own, so that the email survives the web process: the page answers at once and
the email is sent, retried and logged in the outbox like every other. Its history holds only the
link's id: the link itself is composed from the records when the email is built.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities, SendEmailInput, SendEmailResult
    from models.email_message import EmailKind
    from workflows.staff_mail_messages import StaffMailInput

# A sign-in link lives for minutes: retrying past that sends a dead link.
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
SEND_FOR = timedelta(minutes=10)


@workflow.defn
class StaffMailWorkflow:
    @workflow.run
    async def run(self, request: StaffMailInput) -> SendEmailResult:
        return await workflow.execute_activity_method(
            EmailActivities.send_email,
            SendEmailInput(
                kind=EmailKind(request.kind),
                workflow_id=workflow.info().workflow_id,
                step="mail",
                planned_at=workflow.now(),
                params={"link_id": request.link_id, "invited_by": request.invited_by},
            ),
            task_queue=request.email_task_queue,
            start_to_close_timeout=timedelta(minutes=2),
            schedule_to_close_timeout=SEND_FOR,
            retry_policy=RETRY,
        )
