"""automation/aws/session.py at the edges mutation testing found unguarded (issue 25): what an
error reads when AWS's answer lacks its code or message, and the upload's concurrency."""

from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from automation.aws.session import (
    AwsClients,
    AwsError,
    WaitTimeout,
    error_code,
    error_message,
    paginate,
    transfer_config,
    wait_for,
)


@pytest.fixture
def without_credentials(monkeypatch, tmp_path) -> None:
    """No key in the environment, no profile files, no instance or container role to find."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def test_an_answer_without_an_error_code_has_the_empty_code():
    # Callers compare codes (`error_code(e) == "EntityNotFoundException"`) and print them: an
    # answer without one (a proxy's HTML page, a truncated body) is "", never None or a stand-in.
    assert error_code(ClientError({}, "GetTable")) == ""
    assert error_code(ClientError({"Error": {"Message": "busy"}}, "GetTable")) == ""
    assert error_code(ClientError({"Error": {"Code": "AccessDenied"}}, "GetTable")) == "AccessDenied"


def test_an_error_without_its_parts_still_reads_as_one_sentence():
    bare = ClientError({}, "GetTable")
    assert error_message(bare) == ("error: An error occurred (Unknown) when calling the GetTable operation: Unknown")
    code_only = ClientError({"Error": {"Code": "AccessDenied"}}, "GetTable")
    assert error_message(code_only) == (
        "AccessDenied: An error occurred (AccessDenied) when calling the GetTable operation: Unknown"
    )
    whole = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "GetTable")
    assert error_message(whole) == "Throttling: Rate exceeded"


def test_uploads_go_multipart_from_the_threshold_four_parts_at_a_time():
    config = transfer_config(8 * 2**20)
    assert (config.multipart_threshold, config.multipart_chunksize, config.max_concurrency) == (8 * 2**20, 8 * 2**20, 4)
    default = transfer_config()
    assert (default.multipart_threshold, default.max_concurrency) == (64 * 2**20, 4)


def test_no_credentials_anywhere_is_one_sentence_saying_where_to_set_them(without_credentials):
    with pytest.raises(AwsError) as refused:
        AwsClients(boto3.Session(region_name="us-east-1")).check_credentials()
    assert str(refused.value) == (
        "no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`) "
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )


def test_credentials_sts_refuses_are_named_with_sts_own_words(without_credentials):
    session = boto3.Session(aws_access_key_id="AKIAEXPIRED", aws_secret_access_key="s", region_name="us-east-1")
    clients = AwsClients(session)
    sts = session.client("sts")
    with Stubber(sts) as stubbed:  # an expired or revoked key: STS's answer (the emulator accepts any key)
        stubbed.add_client_error(
            "get_caller_identity",
            service_error_code="InvalidClientTokenId",
            service_message="The security token included in the request is invalid.",
            http_status_code=403,
        )
        clients.use("sts", sts)
        with pytest.raises(AwsError) as refused:
            clients.check_credentials()
    assert str(refused.value) == (
        "AWS rejected the credentials: InvalidClientTokenId: The security token included in the request is invalid."
    )


def test_credentials_that_vanish_before_the_first_call_are_the_same_one_sentence(without_credentials):
    """The session had credentials when asked, the client signing the call finds none (botocore
    raises NoCredentialsError while signing): the same sentence as having none at all."""
    clients = AwsClients(boto3.Session(aws_access_key_id="AKIA", aws_secret_access_key="s", region_name="us-east-1"))
    clients.use("sts", boto3.Session(region_name="us-east-1").client("sts"))
    with pytest.raises(AwsError) as refused:
        clients.check_credentials()
    assert str(refused.value).startswith("no AWS credentials found: set AWS_PROFILE")


def test_a_wait_counts_its_looks_and_backs_off_to_20_seconds_between_them():
    now = [0.0]
    sleeps: list[float] = []
    polls = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with pytest.raises(WaitTimeout) as gave_up:
        wait_for(
            "crawler c to be ready",
            lambda: "RUNNING",
            lambda state: state == "READY",
            timeout=120,
            on_poll=polls.append,
            sleep=sleep,
            clock=lambda: now[0],
        )
    # 1 s, then 1.5 times longer each time, never more than 20 s, never past the deadline (the
    # first eight add up to 49.2578125 s, then three of 20 s: 120 - 109.2578125 s are left).
    assert sleeps == [1, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625, 17.0859375, 20, 20, 20, 10.7421875]
    assert [poll.attempt for poll in polls] == list(range(1, 14))
    assert polls[-1].elapsed == 120
    assert str(gave_up.value) == "gave up waiting for crawler c to be ready after 120 s (13 checks)"


def test_a_session_without_a_region_is_one_sentence_saying_where_to_set_it(without_credentials, monkeypatch):
    """boto3 raises NoRegionError for a regional client when neither the environment nor the
    profile names a region; the first client asked for says what to set."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    clients = AwsClients(boto3.Session(aws_access_key_id="AKIA", aws_secret_access_key="s"))
    with pytest.raises(AwsError) as refused:
        clients.glue  # noqa: B018 (the property creates the client)
    assert str(refused.value) == "no AWS region: set AWS_REGION, or use stack outputs that include `region`"


def test_each_service_gets_one_client_made_once_and_a_client_handed_in_is_the_one_used():
    session = boto3.Session(aws_access_key_id="AKIA", aws_secret_access_key="s", region_name="eu-west-1")
    clients = AwsClients(session)
    glue = clients.glue
    assert (glue.meta.service_model.service_name, glue.meta.region_name) == ("glue", "eu-west-1")
    assert clients.client("glue") is glue
    assert [clients.client(s).meta.service_model.service_name for s in ("s3", "athena", "logs", "sts")] == [
        "s3",
        "athena",
        "logs",
        "sts",
    ]
    handed_in = session.client("athena")
    clients.use("athena", handed_in)
    assert clients.athena is handed_in and clients.glue is glue


def test_every_client_retries_a_failing_call_three_times_in_all_whatever_the_profile_says(
    without_credentials, monkeypatch
):
    """botocore's standard retry mode makes 3 attempts in all, its legacy mode 5
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html); the clients
    are in standard mode even where the environment or a profile asks for legacy (botocore's own
    default is standard since 1.36, so only such a setting tells). HTTP 500 is retried by both."""
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    clients = AwsClients(boto3.Session(aws_access_key_id="AKIA", aws_secret_access_key="s", region_name="us-east-1"))
    glue = clients.glue
    sent = []

    def internal_error(request, **_: object) -> AWSResponse:
        sent.append(request.url)
        body = b'{"__type": "InternalServiceException", "message": "try again"}'
        return AWSResponse(request.url, 500, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))

    glue.meta.events.register("before-send.glue.GetJob", internal_error)
    with pytest.raises(ClientError) as failed:
        glue.get_job(JobName="j")
    assert len(sent) == 3
    assert failed.value.response["ResponseMetadata"]["MaxAttemptsReached"] is True


class _Body:
    def __init__(self, content: bytes):
        self.content = content

    def stream(self, **_: object):
        yield self.content


def test_paging_reads_every_page_and_a_page_without_the_list_as_empty():
    """S3 leaves `Contents` out of a ListObjectsV2 page that lists nothing (ListObjectsV2's
    response elements are all optional: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)."""
    s3 = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("s3")
    with Stubber(s3) as stubber:
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": "a"}], "IsTruncated": True, "NextContinuationToken": "t2"},
            {"Bucket": "b", "Prefix": "p/"},
        )
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": "b"}], "IsTruncated": False},
            {"Bucket": "b", "Prefix": "p/", "ContinuationToken": "t2"},
        )
        assert [item["Key"] for item in paginate(s3, "list_objects_v2", "Contents", Bucket="b", Prefix="p/")] == [
            "a",
            "b",
        ]
        stubber.add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0}, {"Bucket": "b", "Prefix": "q/"})
        assert list(paginate(s3, "list_objects_v2", "Contents", Bucket="b", Prefix="q/")) == []


def test_a_wait_looks_once_more_at_its_deadline_however_little_time_is_left():
    """1.5 s to wait: looks at 0 s and 1 s, then the last 0.5 s is slept and a third look made."""
    now = [0.0]
    looks: list[float] = []

    def look() -> str:
        looks.append(now[0])
        return "READY" if len(looks) == 3 else "RUNNING"

    def sleep(seconds: float) -> None:
        now[0] += seconds

    state = wait_for(
        "crawler c to be ready", look, lambda s: s == "READY", timeout=1.5, sleep=sleep, clock=lambda: now[0]
    )

    assert (state, looks) == ("READY", [0, 1, 1.5])
