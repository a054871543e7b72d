"""The synthesized stack as a Terraform plan JSON, so Checkov's `terraform_plan` framework can judge it.

pulumi-aws is bridged from the Terraform AWS provider: every resource is a Terraform resource whose
attributes Pulumi renames. This module undoes the renaming on the output of
`python -m automation synth --json` (`{"resources": [{type, name, inputs}], "outputs": {...}}`) and
writes what `terraform show -json` prints for a plan that creates those resources. Pure, stdlib only:
no pulumi import, so the tests and `make checkov` can run it on any rendering.

What it undoes, and where the rule comes from:

- Type tokens. `aws:<module>/<camelName>:<Name>` is the Terraform type `aws_<module>_<snake(Name)>`
  unless the provider overrides the token (`Tok:` in pulumi-aws `provider/resources.go`, e.g.
  `aws_s3_object` is `aws:s3/bucketObjectv2:BucketObjectv2`) or the token is one of the `...V2`
  aliases kept for old S3 resources (`Aliases:` there). Those are in `TYPE_EXCEPTIONS`; tokens of
  other packages (components, providers) are not Terraform resources and are left out
  (`skipped_resources` names them).
- Property names. camelCase -> snake_case, the inverse of pulumi-terraform-bridge
  `pkg/tfbridge/naming` (`terraformToPulumiName`): it pluralizes (inflector.Pluralize) every list or
  set whose MaxItems is not 1. Repeated blocks (a list of objects) are therefore singularized back
  (`rules` -> `rule`, `catalogTargets` -> `catalog_target`) except names Terraform already spells in
  the plural (`PLURAL_BLOCKS`: `partition_keys`, `columns`, ...). Lists of scalars keep their name:
  Terraform names those in the plural already (`tables`, `managed_policy_arns`). Explicit renames
  (`Fields: {"topic_arn": {Name: "topic"}}` in resources.go) are in `FIELD_RENAMES`.
- Nested objects. A MaxItems=1 block is a single object in Pulumi and a one-element list in a plan;
  a map attribute (`tags`, `defaultArguments`, `parameters`, ...) stays an object with its keys as
  written (`MAP_ATTRIBUTES`, or any object whose keys are not camelCase identifiers).
- Numbers. Pulumi's engine hands every number over as a float (`90.0`); whole ones are written as
  integers, as Terraform writes them.
- References. In Pulumi the bucket of a `BucketVersioning` is the bucket's Output; the mocks resolve
  it to a string. A string attribute equal to another resource's identity (its `name` input, or
  `bucket` for a bucket; a name built from its `bucketPrefix`/`namePrefix`; its Pulumi name; the
  mocks' `<name>-id`; an ARN ending in one of those; a KMS key ARN, or a key id in a `*key_id`
  attribute, when the stack creates exactly one key) is written as Terraform writes an attribute
  whose value is unknown until apply: absent from `planned_values`, and a `{"references":
  ["<type>.<name>.<attr>", "<type>.<name>"]}` expression in `configuration`. When two resources
  match (a workgroup and a security configuration with one name), the one whose type shares words
  with the attribute wins (`security_configuration`); a tie stays a literal. Checkov's plan parser
  puts the reference in the attribute's place (`_add_references`), its graph builder draws the
  edge, and graph checks such as CKV2_AWS_6 (bucket has a public access block) see the bucket's
  attached resources.

Plan layout read by Checkov (checkov/terraform/plan_parser.py `parse_tf_plan`, context_parsers/tf_plan,
plan_utils.create_definitions; checkov 3.3.30): the file must carry `terraform_version` and
`planned_values`; `planned_values.root_module.resources[*]` = {address, mode: "managed", type, name,
provider_name, values}; `configuration.root_module.resources[*]` = {address, type, name, expressions}
matched by type and name; `resource_changes[*]` = {address, change: {actions, before, after,
after_unknown}}. Terraform's own description: "JSON Output Format" (developer.hashicorp.com/
terraform/internals/json-format). Checkov's: docs "Terraform Plan Scanning" (checkov.io).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"
TERRAFORM_VERSION = "1.9.8"  # what the plan claims to come from; Checkov only checks it is there
FORMAT_VERSION = "1.2"

# Pulumi token -> Terraform type where the token is not derived from the type name
# (pulumi-aws provider/resources.go `Tok:` overrides and `Aliases:`).
TYPE_EXCEPTIONS: dict[str, str] = {
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/BucketObject:BucketObject": "aws_s3_object",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/inventory:Inventory": "aws_s3_bucket_inventory",
    "aws:s3/analyticsConfiguration:AnalyticsConfiguration": "aws_s3_bucket_analytics_configuration",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:glue/mLTransform:MLTransform": "aws_glue_ml_transform",
    "aws:sns/dataProtectionPolicy:DataProtectionPolicy": "aws_sns_topic_data_protection_policy",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
}

# Pulumi property -> Terraform attribute where the bridge renames it (resources.go `Fields: {Name:}`).
FIELD_RENAMES: dict[str, dict[str, str]] = {
    "aws_sns_topic_subscription": {"topic": "topic_arn"},
    "aws_lambda_permission": {"function": "function_name"},
    "aws_lambda_function": {"name": "function_name", "code": "filename"},
    "aws_cloudwatch_metric_alarm": {"name": "alarm_name"},
    "aws_cloudwatch_log_subscription_filter": {"logGroup": "log_group_name"},
    "aws_dynamodb_table": {
        "globalSecondaryIndexes": "global_secondary_index",
        "localSecondaryIndexes": "local_secondary_index",
    },
}

# Repeated blocks whose Terraform name is already plural (the bridge leaves those as they are).
PLURAL_BLOCKS = frozenset(
    {
        "partition_keys",  # aws_glue_catalog_table
        "columns",  # aws_glue_catalog_table.storage_descriptor
        "sort_columns",  # aws_glue_catalog_table.storage_descriptor
        "actions",  # aws_glue_trigger
        "conditions",  # aws_glue_trigger.predicate
        "ingress",  # aws_security_group
        "egress",  # aws_security_group
    }
)
IRREGULAR_SINGULARS = {"indices": "index", "indexes": "index", "aliases": "alias", "statuses": "status"}

# Attributes of Terraform type map(string): kept as objects, keys as written.
MAP_ATTRIBUTES = frozenset(
    {
        "tags",
        "tags_all",
        "default_arguments",
        "non_overridable_arguments",
        "parameters",
        "variables",
        "arguments",
        "environment_variables",
        "labels",
        "properties",
        "connection_properties",
        "context",
    }
)

# Attributes that name the resource itself and so are never a reference to another one.
NOT_REFERENCES = frozenset({"name", "name_prefix", "bucket_prefix", "description", "key", "id", "content"})

# ARNs whose last part is generated by AWS, not a name the program chose: (service, resource type)
# -> the Terraform type that one such ARN in a stack most likely points at.
ARN_TYPES = {("kms", "key"): "aws_kms_key"}

# The input that is a resource's own physical name when it is not `name`.
OWN_NAME_ATTRIBUTES = {"aws_s3_bucket": "bucket"}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CAMEL_KEY = re.compile(r"[a-z][a-zA-Z0-9]*")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """camelCase / PascalCase -> snake_case (`serDeInfo` -> `ser_de_info`, `s3Encryption` -> `s3_encryption`)."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def singular(name: str) -> str:
    """Undo inflector.Pluralize on a Terraform block name (`rules` -> `rule`, `policies` -> `policy`)."""
    if name in PLURAL_BLOCKS:
        return name
    head, _, word = name.rpartition("_")
    prefix = f"{head}_" if head else ""
    if word in IRREGULAR_SINGULARS:
        return prefix + IRREGULAR_SINGULARS[word]
    if word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return name
    if word.endswith("ies"):
        return prefix + word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return prefix + word[:-2]
    return prefix + word[:-1]


def terraform_type(token: str) -> str | None:
    """`aws:s3/bucketVersioning:BucketVersioning` -> `aws_s3_bucket_versioning`; None if not a resource
    of the AWS provider (components, providers, other packages)."""
    if token in TYPE_EXCEPTIONS:
        return TYPE_EXCEPTIONS[token]
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module, kind = parts[1].split("/", 1)[0], parts[2]
    if module == "s3" and kind.endswith("V2"):  # aws:s3/bucketV2:BucketV2 and the other old aliases
        kind = kind[:-2]
    if module == "index":
        return f"aws_{snake(kind)}"
    return f"aws_{module.lower()}_{snake(kind)}"


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_map(tf_key: str, value: dict) -> bool:
    return tf_key in MAP_ATTRIBUTES or not value or any(not _CAMEL_KEY.fullmatch(str(k)) for k in value)


def _plain(value: Any) -> Any:
    """A value inside a map or a list of scalars: numbers normalized, nothing renamed."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _number(value)


def _address_name(pulumi_name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", pulumi_name)
    if not re.match(r"[A-Za-z_]", base):
        base = f"_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _arn_tails(value: str) -> list[str]:
    """The parts of an ARN that may be a resource's name: `arn:aws:iam::1:role/x` -> [value, `role/x`, `x`]."""
    tails = [value]
    if value.startswith("arn:") and value.count(":") >= 5:
        resource = value.split(":", 5)[5]
        tails.append(resource)
        for separator in ("/", ":"):
            if separator in resource:
                tails.append(resource.split(separator, 1)[1])
    return tails


class _Target:
    """What other resources' attributes may hold to point at this one."""

    def __init__(self, tf_type: str, address: str, pulumi_name: str, inputs: dict):
        self.tf_type = tf_type
        self.address = address
        self.names = {pulumi_name, f"{pulumi_name}-id"}
        self.input_name = inputs.get("name") if isinstance(inputs.get("name"), str) else None
        for key in ("name", OWN_NAME_ATTRIBUTES.get(tf_type, "name")):
            if isinstance(inputs.get(key), str) and inputs[key]:
                self.names.add(inputs[key])
        prefixes = (inputs.get("bucketPrefix"), inputs.get("namePrefix"))
        self.prefixes = [p for p in prefixes if isinstance(p, str) and p]

    def matches(self, value: str) -> str | None:
        """The attribute of this resource `value` stands for (`arn`, `name`, `id`), or None."""
        for tail in _arn_tails(value):
            hit = tail in self.names or any(
                tail.startswith(p) and len(tail) > len(p) and "/" not in tail[len(p) :] for p in self.prefixes
            )
            if hit:
                if value.startswith("arn:"):
                    return "arn"
                return "name" if value == self.input_name else "id"
        return None


def _attribute_words(tf_key: str) -> set[str]:
    words = set(tf_key.split("_")) - {"arn", "id", "name", "names", "arns", "ids"}
    return words


class _Resolver:
    def __init__(self, targets: list[_Target]):
        self.targets = targets

    def resolve(self, value: str, tf_key: str, source: str) -> str | None:
        """`<type>.<name>.<attr>` when `value` names exactly one other resource of the stack."""
        if tf_key in NOT_REFERENCES or not value or value.startswith(("{", "[")):
            return None
        hits = [(t, attr) for t in self.targets if t.address != source and (attr := t.matches(value))]
        if len(hits) > 1:  # e.g. a workgroup and a security configuration with the same name
            words = _attribute_words(tf_key)
            scored = [(len(words & set(t.tf_type.split("_")[1:])), t, attr) for t, attr in hits]
            best = max(score for score, _, _ in scored)
            hits = [(t, attr) for score, t, attr in scored if score == best]
        if not hits:
            hits = self._by_generated_id(value, tf_key, source)
        if len(hits) != 1:
            return None
        target, attr = hits[0]
        return f"{target.address}.{attr}"

    def _by_generated_id(self, value: str, tf_key: str, source: str) -> list[tuple[_Target, str]]:
        """An id AWS generates (a KMS key's, bare or in an ARN), when the stack has one resource of that type."""
        match = re.fullmatch(r"arn:aws[a-z-]*:([a-z0-9-]+):[^:]*:[^:]*:([a-z-]+)/.+", value)
        if match and (match.group(1), match.group(2)) in ARN_TYPES:
            tf_type, attr = ARN_TYPES[(match.group(1), match.group(2))], "arn"
        elif _UUID.fullmatch(value) and tf_key.endswith("key_id"):
            tf_type, attr = "aws_kms_key", "key_id"
        else:
            return []
        same = [t for t in self.targets if t.tf_type == tf_type and t.address != source]
        return [(same[0], attr)] if len(same) == 1 else []


def _convert(obj: dict, tf_type: str, source: str, resolver: _Resolver, top: bool) -> tuple[dict, dict, dict]:
    """Pulumi inputs -> (Terraform values, configuration expressions, after_unknown)."""
    values: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    renames = FIELD_RENAMES.get(tf_type, {}) if top else {}
    for key, value in obj.items():
        if value is None:
            continue
        tf_key = renames.get(key) or snake(key)
        if isinstance(value, dict):
            if _is_map(tf_key, value):
                values[tf_key] = _plain(value)
                continue
            v, e, u = _convert(value, tf_type, source, resolver, top=False)
            values[tf_key] = [v]
            if e:
                expressions[tf_key] = [e]
            if u:
                unknown[tf_key] = [u]
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            block = tf_key if key in renames else singular(tf_key)
            converted = [_convert(item, tf_type, source, resolver, top=False) for item in value]
            values[block] = [v for v, _, _ in converted]
            if any(e for _, e, _ in converted):
                expressions[block] = [e for _, e, _ in converted]
            if any(u for _, _, u in converted):
                unknown[block] = [u for _, _, u in converted]
        elif isinstance(value, list):
            values[tf_key] = _plain(value)
        elif isinstance(value, str) and (reference := resolver.resolve(value, tf_key, source)):
            address = reference.rsplit(".", 1)[0]
            expressions[tf_key] = {"references": [reference, address]}
            unknown[tf_key] = True
        else:
            values[tf_key] = _number(value)
    return values, expressions, unknown


def skipped_resources(rendering: dict) -> list[str]:
    """`type name` of every rendered resource that is not a Terraform AWS resource (left out of the plan)."""
    return [f"{r['type']} {r['name']}" for r in rendering["resources"] if terraform_type(r["type"]) is None]


def to_plan(rendering: dict, region: str | None = None) -> dict:
    """The Terraform plan JSON (as a dict) of a synth rendering: every AWS resource created."""
    taken: set[str] = set()
    entries = []
    for resource in rendering["resources"]:
        tf_type = terraform_type(resource["type"])
        if tf_type is None:
            continue
        name = _address_name(resource["name"], taken)
        entries.append((tf_type, name, resource))
    targets = [_Target(t, f"{t}.{n}", r["name"], r.get("inputs") or {}) for t, n, r in entries]
    resolver = _Resolver(targets)

    planned, changes, configured = [], [], []
    for tf_type, name, resource in entries:
        address = f"{tf_type}.{name}"
        values, expressions, unknown = _convert(resource.get("inputs") or {}, tf_type, address, resolver, top=True)
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        planned.append({**common, "provider_name": PROVIDER_NAME, "schema_version": 0, "values": values})
        changes.append(
            {
                **common,
                "provider_name": PROVIDER_NAME,
                "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": unknown},
            }
        )
        configured.append({**common, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})

    configuration: dict[str, Any] = {"root_module": {"resources": configured}}
    if region:
        configuration["provider_config"] = {
            "aws": {"name": "aws", "full_name": PROVIDER_NAME, "expressions": {"region": {"constant_value": region}}}
        }
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": configuration,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m infra.terraform_plan [SYNTH_JSON]`: read a synth rendering (file or stdin), print the plan."""
    argv = sys.argv[1:] if argv is None else argv
    text = open(argv[0]).read() if argv else sys.stdin.read()
    print(json.dumps(to_plan(json.loads(text)), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
