"""The one place that talks to boto3's machinery: the session, the clients, waiting, paging.

The session is built as the AWS CLI builds it: the profile from `AWS_PROFILE`, the region
from `AWS_REGION` (else the stack's `region` output, else the profile's), credentials from
boto3's usual chain, and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`) honoured by
boto3 itself, so an emulator or LocalStack works with no code change. Every client retries
in botocore's "standard" mode. Every other module reaches them through the stack handle
(`automation.aws.deployed.Stack`).

Waits poll with exponential backoff up to a deadline and say what they wait for; list
calls go through their paginators. Nothing here knows about the pipeline.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from etl.errors import PipelineError

T = TypeVar("T")

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`) "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)
# Standard retry mode, as the AWS CLI v2 uses by default (3 attempts, backoff with jitter).
RETRY_CONFIG = Config(retries={"mode": "standard"})


class AwsError(PipelineError):
    """An AWS call failed in a way the user can act on; the message says how."""


class WaitTimeout(AwsError):
    """A wait reached its deadline before the awaited state."""


def build_session(stack_region: str | None = None) -> boto3.Session:
    """The boto3 session, as the AWS CLI would build it.

    Args:
        stack_region: the stack's `region` output; used when `AWS_REGION` is not set, so
            commands reach the region the stack was deployed to.

    Raises:
        AwsError: when `AWS_PROFILE` names a profile that does not exist.
    """
    region = os.environ.get("AWS_REGION") or stack_region or None
    try:
        return boto3.Session(profile_name=os.environ.get("AWS_PROFILE") or None, region_name=region)
    except BotoCoreError as error:  # ProfileNotFound
        raise AwsError(f"{error}: set AWS_PROFILE to a profile in ~/.aws/config, or unset it") from None


@dataclass
class AwsClients:
    """Clients of one session, created on first use, all in standard retry mode."""

    session: boto3.Session
    _clients: dict[str, Any] = field(default_factory=dict)

    def use(self, service: str, client: Any) -> None:
        """Hand in the client for `service` (one pointed at an emulator, or wrapped in a Stubber)."""
        self._clients[service] = client

    def client(self, service: str) -> Any:
        if service not in self._clients:
            try:
                self._clients[service] = self.session.client(service, config=RETRY_CONFIG)
            except NoRegionError:
                raise AwsError("no AWS region: set AWS_REGION, or use stack outputs that include `region`") from None
        return self._clients[service]

    @property
    def glue(self) -> Any:
        return self.client("glue")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def athena(self) -> Any:
        return self.client("athena")

    @property
    def logs(self) -> Any:
        return self.client("logs")

    @property
    def sts(self) -> Any:
        return self.client("sts")

    @property
    def region(self) -> str | None:
        return self.session.region_name

    def check_credentials(self) -> str:
        """The caller's account id; fails with one sentence when there are no usable credentials.

        Raises:
            AwsError: no credentials found, or AWS rejects them.
        """
        if self.session.get_credentials() is None:
            raise AwsError(NO_CREDENTIALS)
        try:
            return self.sts.get_caller_identity()["Account"]
        except NoCredentialsError:
            raise AwsError(NO_CREDENTIALS) from None
        except ClientError as error:
            raise AwsError(f"AWS rejected the credentials: {error_message(error)}") from None


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'error')}: {details.get('Message', str(error))}"


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of `result_key` over all pages of a list call, through its paginator."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(result_key, [])


def transfer_config(multipart_threshold: int = 64 * 2**20) -> Any:
    """S3 managed-transfer settings for uploads: files from `multipart_threshold` bytes go
    multipart in parts of that size, four at a time."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=multipart_threshold, multipart_chunksize=multipart_threshold, max_concurrency=4
    )


@dataclass(frozen=True)
class Poll:
    """One look at the thing being waited for: what it is now, and how long we have waited."""

    value: Any
    attempt: int
    elapsed: float


def wait_for(
    what: str,
    look: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    on_poll: Callable[[Poll], None] | None = None,
    first_delay: float = 1.0,
    max_delay: float = 20.0,
    backoff: float = 1.5,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> T:
    """Call `look` until `done(value)`, sleeping longer each time, never past `timeout` seconds.

    Args:
        what: what is being waited for, for messages ("job run jr_1 to finish").
        look: fetches the current value (one AWS call).
        done: whether the value is the awaited state.
        timeout: seconds before giving up.
        on_poll: told about every look (for progress display).
        sleep, clock: `time.sleep` and `time.monotonic` unless handed in, looked up at each call
            (a default bound at definition time would ignore a test's patch of `time.sleep`).

    Raises:
        WaitTimeout: naming `what`, the time waited and the last value's description.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    started = clock()
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        value = look()
        elapsed = clock() - started
        if on_poll is not None:
            on_poll(Poll(value, attempt, elapsed))
        if done(value):
            return value
        remaining = timeout - elapsed
        if remaining <= 0:
            raise WaitTimeout(f"gave up waiting for {what} after {elapsed:.0f} s ({attempt} checks)")
        sleep(min(delay, remaining))
        delay = min(delay * backoff, max_delay)
