"""A stack whose AWS clients are wrapped in botocore's Stubber: for the AWS states the emulator
cannot produce (a failed or retried run, a refusal, a page the emulator never splits). The
Stubber checks every request against the service's model, so a parameter AWS does not know
fails the test."""

from __future__ import annotations

from typing import Any, Mapping

import boto3
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.session import AwsClients
from automation.outputs import StackOutputs


def stubbed_clients(*services: str) -> tuple[AwsClients, list[Stubber]]:
    """Clients of a session with made-up credentials, one Stubber per service, in order."""
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    clients = AwsClients(session)
    stubbers = []
    for service in services:
        client = session.client(service)
        clients.use(service, client)
        stubbers.append(Stubber(client))
    return clients, stubbers


def stubbed_stack(outputs: Mapping[str, Any], *services: str) -> tuple[Stack, list[Stubber]]:
    """The stack of these outputs, its `services` clients stubbed (one Stubber each, in order)."""
    clients, stubbers = stubbed_clients(*services)
    return Stack(StackOutputs.from_values(dict(outputs), "test"), clients), stubbers
