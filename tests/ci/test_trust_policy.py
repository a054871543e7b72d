"""Who may assume the GitHub Actions roles: the trust policies as synth renders them, judged by the
project's evaluator (`tests.iam_policy.trust_allows`) with the claims GitHub puts in its tokens
("OpenID Connect reference", Example subject claims,
https://docs.github.com/en/actions/reference/security/oidc), and by parliament."""

from __future__ import annotations

import json

import parliament
import pytest

from infra import outputs as out
from infra.policies.github import deploy_subjects, github_trust_policy, oidc_provider_arn, preview_subjects
from infra.settings import SettingsError, settings_from_config
from tests.iam_policy import trust_allows

ACCOUNT = "123456789012"
PROVIDER = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
ASSUME = "sts:AssumeRoleWithWebIdentity"


def token(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, str]:
    """The condition keys IAM reads from a GitHub token (`token.actions.githubusercontent.com:<claim>`)."""
    return {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}


def role_trust(rendered, role_name: str) -> dict:
    (role,) = [r for r in rendered.of_type("aws:iam/role:Role") if r["name"] == role_name]
    return json.loads(role["assumeRolePolicy"])


DEPLOY_ALLOWED = ["repo:acme/lake:ref:refs/heads/main", "repo:acme/lake:environment:dev"]
DEPLOY_REFUSED = [
    "repo:acme/other:ref:refs/heads/main",  # another repository
    "repo:acme/other:environment:dev",
    "repo:acme/lake-fork:ref:refs/heads/main",  # a name that starts like it
    "repo:acme/lake:ref:refs/heads/feature",  # another branch
    "repo:acme/lake:ref:refs/heads/main-old",
    "repo:acme/lake:ref:refs/tags/v1",  # a tag
    "repo:acme/lake:pull_request",  # a pull request
    "repo:acme/lake:environment:prod",  # another stack's environment
    "repo:acme/lake:environment:dev-preview",
    "repo:Acme/Lake:ref:refs/heads/main",  # StringEquals is case-sensitive
]


@pytest.mark.parametrize("sub", DEPLOY_ALLOWED)
def test_the_deploy_role_trusts_main_and_the_stacks_environment(with_github, sub):
    trust = role_trust(with_github("dev"), "silver-to-gold-dev-deploy")
    assert trust_allows(trust, PROVIDER, ASSUME, token(sub))


@pytest.mark.parametrize("sub", DEPLOY_REFUSED)
def test_the_deploy_role_refuses_other_repositories_branches_and_pull_requests(with_github, sub):
    trust = role_trust(with_github("dev"), "silver-to-gold-dev-deploy")
    assert not trust_allows(trust, PROVIDER, ASSUME, token(sub))


def test_the_deploy_role_refuses_another_audience_another_provider_and_no_subject(with_github):
    trust = role_trust(with_github("dev"), "silver-to-gold-dev-deploy")
    main = "repo:acme/lake:ref:refs/heads/main"
    assert not trust_allows(trust, PROVIDER, ASSUME, token(main, aud="https://github.com/acme"))
    other_provider = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"}
    assert not trust_allows(trust, other_provider, ASSUME, token(main))
    assert not trust_allows(trust, PROVIDER, ASSUME, {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"})
    assert not trust_allows(trust, PROVIDER, "sts:AssumeRole", token(main))


def test_prods_deploy_role_trusts_the_prod_environment_not_devs(with_github):
    trust = role_trust(with_github("prod"), "silver-to-gold-prod-deploy")
    assert trust_allows(trust, PROVIDER, ASSUME, token("repo:acme/lake:environment:prod"))
    assert not trust_allows(trust, PROVIDER, ASSUME, token("repo:acme/lake:environment:dev"))


def test_the_preview_role_trusts_only_the_repositorys_pull_requests(with_github):
    trust = role_trust(with_github("dev"), "silver-to-gold-dev-preview")
    assert trust_allows(trust, PROVIDER, ASSUME, token("repo:acme/lake:pull_request"))
    for sub in ["repo:acme/other:pull_request", *DEPLOY_ALLOWED, "repo:acme/lake:ref:refs/heads/feature"]:
        assert not trust_allows(trust, PROVIDER, ASSUME, token(sub)), sub


def test_the_preview_role_is_granted_nothing(with_github):
    rendered = with_github("prod")
    roles = {r["name"] for r in rendered.resources if r["type"] == "aws:iam/role:Role"}
    policy_roles = [r["inputs"]["role"] for r in rendered.resources if r["type"].startswith("aws:iam/rolePolicy")]
    assert "silver-to-gold-prod-preview" in {rendered.named(n)["name"] for n in roles}
    assert "silver-to-gold-prod-preview" not in policy_roles


def test_an_immutable_subject_claim_is_trusted_in_its_own_form():
    """Repositories created from 15 July 2026 put the owner's and repository's ids in `sub`
    (aws-actions/configure-aws-credentials README, "Immutable sub claim")."""
    trust = github_trust_policy(oidc_provider_arn(ACCOUNT), deploy_subjects("acme@123/lake@456", "dev"))
    assert trust_allows(trust, PROVIDER, ASSUME, token("repo:acme@123/lake@456:ref:refs/heads/main"))
    assert not trust_allows(trust, PROVIDER, ASSUME, token("repo:acme/lake:ref:refs/heads/main"))
    assert not trust_allows(trust, PROVIDER, ASSUME, token("repo:acme@999/lake@456:ref:refs/heads/main"))


# Parliament's findings that are parliament's, not the policy's. Parliament 1.6.4 knows as federation
# sources only SAML providers' ARNs and four web identities (its statement.py), not IAM's
# `arn:aws:iam::<account>:oidc-provider/<url>`; and its copy of STS's condition keys lists only those
# identities' keys, where IAM gives every OIDC provider `<provider url>:aud` and `:sub` ("Available
# keys for AWS OIDC federation",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
NOT_THE_POLICYS = {
    ("UNKNOWN_FEDERATION_SOURCE", PROVIDER["Federated"]),
    *(
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            f"Unknown condition token.actions.githubusercontent.com:{key} for action {ASSUME}",
        )
        for key in ("aud", "sub")
    ),
}


def parliament_findings(trust: dict) -> list[tuple[str, object]]:
    """Parliament's findings on a trust policy, linted as it lints the project's other trust
    policies (tests/infra/test_security.py): as if it applied to the role itself, since a trust
    policy has no Resource by design; less NOT_THE_POLICYS."""
    role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-dev-deploy"
    document = {**trust, "Statement": [{**s, "Resource": role} for s in trust["Statement"]]}
    findings = parliament.analyze_policy_string(json.dumps(document)).findings
    return [(f.issue, f.detail) for f in findings if (f.issue, f.detail) not in NOT_THE_POLICYS]


def test_the_rendered_trust_policies_pass_parliament(with_github):
    rendered = with_github("prod")
    for role in ("silver-to-gold-prod-deploy", "silver-to-gold-prod-preview"):
        assert parliament_findings(role_trust(rendered, role)) == [], role


def test_parliament_still_judges_a_trust_policy_here():
    """The filter above hides one finding, not parliament: a misspelled condition key is still found."""
    trust = github_trust_policy(oidc_provider_arn(ACCOUNT), preview_subjects("acme/lake"))
    trust["Statement"][0]["Condition"] = {"StringEqual": trust["Statement"][0]["Condition"]["StringEquals"]}
    assert [issue for issue, _ in parliament_findings(trust)] != []


def test_the_outputs_name_the_roles(with_github):
    outputs = with_github("dev").outputs
    assert outputs[out.DEPLOY_ROLE_ARN] == f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-dev-deploy"
    assert outputs[out.PREVIEW_ROLE_ARN] == f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-dev-preview"


def test_the_deploy_role_holds_the_operator_policy_for_the_run_steps(with_github):
    rendered = with_github("dev")
    (attachment,) = rendered.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment == {
        "role": "silver-to-gold-dev-deploy",
        "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/silver-to-gold-dev-operator",
    }


def test_the_oidc_provider_is_reused_not_declared(with_github):
    rendered = with_github("dev")
    assert rendered.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    trust = role_trust(rendered, "silver-to-gold-dev-deploy")
    assert trust["Statement"][0]["Principal"] == PROVIDER


def test_without_the_setting_the_stacks_have_no_github_resource(stack):
    """`stack`: dev and prod as their stack files declare them (no githubRepository)."""
    assert [
        r for r in stack.resources if "GitHub" in r["type"] or r["name"].endswith(("-deploy-role", "-preview-role"))
    ] == []
    assert {r["name"] for r in stack.of_type("aws:iam/role:Role")} == {
        f"silver-to-gold-{stack.outputs['athenaWorkgroup'].split('-')[-1]}-glue"
    }
    assert stack.outputs[out.DEPLOY_ROLE_ARN] == stack.outputs[out.PREVIEW_ROLE_ARN] == ""


@pytest.mark.parametrize(
    "value", ["acme", "acme/lake/extra", "-acme/lake", "acme/", "https://github.com/acme/lake", "acme/la ke"]
)
def test_a_repository_that_is_not_owner_slash_name_is_one_line_naming_the_key(value):
    with pytest.raises(SettingsError) as error:
        settings_from_config("dev", {"githubRepository": value})
    message = str(error.value)
    assert "githubRepository" in message and value in message and "\n" not in message
