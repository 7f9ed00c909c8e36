"""``gen validate --engine spark``: the payload engine run as a PySpark job.

``job`` is the driver (inputs, the job, merging tallies), ``partition`` what each task
runs (the project's own payload engine over its lines), ``output`` the Parquet datasets
of ``--output``, and ``submit`` the entry point for ``spark-submit``.  PySpark is an
optional extra (``pip install '.[spark]'``); nothing here imports it at module level.
"""
