"""The silver -> gold Spark job and its pure parts.

Runs on Glue 5.0, locally and on any Spark 3.5. Imports pyspark and the standard library
only: never pulumi, boto3, infra or automation.
"""
