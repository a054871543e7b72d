"""A stack whose AWS clients are wrapped in botocore's Stubber: for the AWS states the emulator
cannot produce (a failed or retried run, a refusal, a page the emulator never splits). The
Stubber checks every request against the service's model, so a parameter AWS does not know
fails the test."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import boto3
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.session import AwsClients
from automation.outputs import StackOutputs
from infra import outputs as out

# A dev stack's outputs, as the stubbed tests read them.
STUB_OUTPUTS: dict[str, Any] = {
    out.REGION: "us-east-1",
    out.JOB_NAME: "job-transform-silver-to-gold",
    out.REPORTS_URI: "s3://lake/gold/_reports/sample_data_aggregated/",
    out.GOLD_URI: "s3://lake/gold/sample_data_aggregated/",
    out.SILVER_URI: "s3://lake/silver/sample_data_partitioned/",
    out.SILVER_DATABASE: "silver_data",
    out.SILVER_TABLE: "sample_data_partitioned",
    out.GOLD_DATABASE: "gold_data",
    out.GOLD_TABLE: "sample_data_aggregated",
    out.ATHENA_WORKGROUP: "silver-to-gold-dev",
    out.PRICE_PER_DPU_HOUR: 0.44,
    out.JOB_ERROR_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/error",
    out.JOB_OUTPUT_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/output",
    out.CRAWLER_NAME: "crawler-gold-data",
    out.CRAWLER_LOG_GROUP: "/aws-glue/crawlers",
    out.PREVIEW_SQL: "SELECT * FROM gold_data.sample_data_aggregated LIMIT 10",
    out.JOB_CONSOLE_URL: "https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1#/editor/job/j/runs",
}


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


class FakeClock:
    """`time.monotonic` and `time.sleep` of a wait in one: calling it reads the clock, sleeping moves
    it (and is recorded in `slept`, and told to `on_sleep`, which may change what AWS answers next);
    nothing really sleeps. `start` is where it begins (an arbitrary monotonic reading)."""

    def __init__(self, start: float = 0.0, on_sleep: Callable[[FakeClock], None] | None = None) -> None:
        self.now = start
        self.start = start
        self.on_sleep = on_sleep
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    monotonic = __call__

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(self)
