"""The operator's CLI: run the pipeline locally (the embedded default) or on AWS.

May import etl, infra and boto3. Steps live in `automation.pipeline`; each backend
(`automation.local`, later AWS) supplies the environment-specific parts.
"""
