"""``gen infer``: turn captured traffic into a reviewable edit of the spec.

One module per job: ``inputs`` (the payload engine's input layer, imported in that one
place), ``stats`` (per payload and key, bounded), ``propose`` (compare with the resolved
spec), ``edit`` (targeted, comment-preserving text edits), ``report`` (text and JSON)
and ``command`` (the click command, registered in ``generator.cli``).
"""
