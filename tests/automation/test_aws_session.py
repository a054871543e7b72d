"""automation/aws/session.py at the edges mutation testing found unguarded (issue 25): what an
error reads when AWS's answer lacks its code or message, and the upload's concurrency."""

from __future__ import annotations

from botocore.exceptions import ClientError

from automation.aws.session import error_code, error_message, transfer_config


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


def test_no_credentials_anywhere_is_one_sentence_saying_where_to_set_them(monkeypatch, tmp_path):
    import boto3
    import pytest

    from automation.aws.session import AwsClients, AwsError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to find either
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(AwsError) as refused:
        AwsClients(boto3.Session(region_name="us-east-1")).check_credentials()
    assert str(refused.value) == (
        "no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`) "
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )
