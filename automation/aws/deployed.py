"""The handle every operation on a deployed stack takes: its outputs, typed, and the clients
of one session in its region.

The CLI builds one per verb (`Stack.connect`): the outputs the verb needs are checked first,
so a missing one stops it before its first AWS call; then the session, as `build_session`
builds it. Tests build one from clients pointed at the emulator or wrapped in a Stubber.
"""

from __future__ import annotations

from dataclasses import dataclass

from automation.aws.session import AwsClients, AwsError, build_session
from automation.outputs import StackOutputs


@dataclass(frozen=True)
class Stack:
    """A deployed stack: what it exported (`outputs`) and how to reach it (`clients`)."""

    outputs: StackOutputs
    clients: AwsClients

    @classmethod
    def connect(cls, outputs: StackOutputs, *needed: str) -> Stack:
        """Check the outputs a verb needs (`infra.outputs` names), then open a session in the
        stack's region (its `region` output, unless `AWS_REGION` says otherwise).

        Raises:
            OutputsError: naming the first output of `needed` the stack lacks.
            AwsError: `AWS_PROFILE` names a profile that does not exist.
        """
        outputs.require(*needed)
        return cls(outputs, AwsClients(build_session(outputs.region or None)))

    @property
    def region(self) -> str | None:
        """The session's region (where the calls go; the stack's own is `outputs.region`)."""
        return self.clients.region

    def check_credentials(self) -> str:
        """The caller's account id; fails with one sentence when there are no usable credentials."""
        return self.clients.check_credentials()

    def not_deployed(self, what: str) -> AwsError:
        """One sentence for a resource of the stack that AWS does not find (`what`: "the Glue
        job 'x'"): in another region than the stack's, or not deployed."""
        region = self.region or "(no region)"
        stack_region = self.outputs.region
        if stack_region and region != stack_region:
            return AwsError(
                f"{what} does not exist in region {region}, and the stack is in {stack_region} (its region "
                f"output): region {region} has no such stack; unset AWS_REGION or set it to {stack_region}"
            )
        return AwsError(f"{what} does not exist in region {region}: deploy the stack first")
