"""``gen validate --engine spark --output DIR``: the two Parquet datasets.

* ``DIR/payloads/payload=<wire name>/``: each payload's conforming documents, one row
  each, with exactly the generated Spark schema of its table
  (``generator.targets.warehouse_spark``: envelope columns, then one typed column per
  field, required ones non-nullable, descriptions as column comments); a Hive-style
  partition per payload, so ``spark.read.parquet(DIR + "/payloads/payload=NAME")`` is
  one table;
* ``DIR/errors/``: every document that does not conform or cannot be read: ``source``,
  ``line``, ``item``, ``payload``, ``problem_codes``, ``problem_messages`` and
  ``document`` (its raw bytes; null when too large to hold).

Every document lands in exactly one row of one of them.  ``DIR`` must not exist; when a
write fails, what was written is deleted again.  This module only reshapes and writes
what ``generator.spark.partition`` produced; it decides nothing about conformance.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.spark.partition import engine, field_keys


def _path(spark, output: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(output)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def check_output_free(spark, output: str) -> None:
    """Refuse an output folder that exists (nothing is ever overwritten)."""
    path, fs = _path(spark, output)
    if fs.exists(path):
        raise engine.UsageError(f"--output {output} already exists; name a new folder (nothing is overwritten)")


def _typed(spark, df, struct):
    """``df`` (columns in ``struct``'s order and types) with exactly ``struct`` as its
    schema: nullability and column comments included, rows never leaving the JVM."""
    from pyspark.sql import DataFrame

    jspark = spark._jsparkSession
    return DataFrame(jspark.createDataFrame(df._jdf.rdd(), jspark.parseDataType(struct.json())), spark)


def payload_table(spark, ok, name: str, table: Mapping):
    """The conforming rows of one payload as its warehouse table."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, LongType, StructField, StructType, TimestampType

    struct = StructType.fromJson(table)
    # A field's column is read from its wire key; the envelope's columns are made here.
    keys = field_keys(table)
    parse = StructType([
        StructField(keys[f.name], LongType() if isinstance(f.dataType, TimestampType) else f.dataType, True)
        for f in struct.fields if f.name in keys
    ])
    rows = ok.where(F.col("payload") == name).select(
        F.from_json(F.col("data").cast("string"), parse).alias("p"), "received", "source", "line", "item"
    )
    envelope = {
        "_payload": F.lit(name),
        "_received_at": F.timestamp_millis(F.col("received")),
        "_source_file": F.col("source"),
        "_source_line": F.col("line"),
        "_source_item": F.col("item"),
    }
    cols = []
    for f in struct.fields:
        col = F.col("p").getField(keys[f.name]) if f.name in keys else envelope[f.name]
        if isinstance(f.dataType, TimestampType) and f.name in keys:
            col = F.timestamp_millis(col)
        if not isinstance(f.dataType, ArrayType):  # (an array's element nullability cannot be cast)
            col = col.cast(f.dataType)
        cols.append(col.alias(f.name))
    return _typed(spark, rows.select(cols), struct)


def write_outputs(spark, results, inputs, shifts: Mapping, tables: Mapping, names: list[str], output: str) -> None:
    """Write both datasets from the partition results; on failure remove ``output``."""
    from pyspark.sql import functions as F

    first = {}
    for inp in inputs:
        first.setdefault(inp.uri, inp.label)
    where = spark.createDataFrame(
        [(uri, block, shift, first.get(uri, uri)) for (uri, block), shift in shifts.items()],
        "file string, block long, shift long, source string",
    )
    located = (
        results.where("rec != 'tally'")
        .join(F.broadcast(where), ["file", "block"], "left")
        .withColumn("line", F.col("line") + F.coalesce(F.col("shift"), F.lit(0)))
    )
    path, fs = _path(spark, output)
    try:
        errors = located.where("rec = 'error'").select(
            "source", "line", "item", "payload",
            F.col("codes").alias("problem_codes"), F.col("messages").alias("problem_messages"),
            F.col("data").alias("document"),
        )
        errors.write.parquet(output.rstrip("/") + "/errors")
        ok = located.where("rec = 'ok'")
        for name in names:
            table = payload_table(spark, ok, name, tables[name])
            table.write.parquet(f"{output.rstrip('/')}/payloads/payload={name}")
    except BaseException:
        fs.delete(path, True)
        raise
