"""``gen collect``: a local telemetry endpoint that checks every payload as the product
sends it (Segment's HTTP tracking API in, the payload engine's report out).

One module per job:

* ``segment``: Segment's tracking API (routes, limits, write keys, bodies, answers);
* ``capture``: the append-only NDJSON capture and its durability policy;
* ``state``: the live tally (the payload engine's, on the capture's own lines), what
  only the collector sees, and the ``--fail-on`` verdict;
* ``server``: the Starlette application served by uvicorn, and shutdown;
* ``page``: the live page and its assets (``templates/collect/``);
* ``command``: the ``gen collect`` command.

Owns nothing of the payload engine: every check goes through ``generator.validate``.
"""
