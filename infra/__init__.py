"""Pulumi code: settings, pure builders (names, IAM documents, S3 keys, packaging) and the
pipeline component. May import pulumi, pulumi_aws and etl's pure modules; never pyspark."""
