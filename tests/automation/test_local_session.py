"""The local Spark session's JVM, as `start_spark` launches it (the shared `spark` fixture)."""


def test_the_local_jvm_runs_the_throughput_collector(spark):
    # G1 (Java 17's default) would show "G1 Young Generation" / "G1 Old Generation".
    management = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    collectors = {bean.getName() for bean in management.getGarbageCollectorMXBeans()}
    assert collectors == {"PS Scavenge", "PS MarkSweep"}
