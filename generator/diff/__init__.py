"""Spec evolution: what changed between two versions of a telemetry spec.

``gen diff BASE [HEAD]`` compares two resolved specs and classifies every change on two
axes, privacy (expanded / reduced / none) and compatibility for consumers (breaking /
additive / none), each by a rule with an id.  The package's modules, one job each:

* ``sources``: a spec folder, a git revision or a ``catalog.json`` -> a catalogue document;
* ``rules``: the change rules as data (id, scope, classification, purpose);
* ``compare``: two catalogue documents -> a list of ``Change`` records;
* ``formats``: text, JSON, GitHub annotations and a Markdown changelog fragment;
* ``versions``: the schema-version bump each payload's changes need (``gen check
  --baseline``) and the lint warning for fields added without ``versions.min``;
* ``history``: the privacy docs' "Changes" section from the spec's version limits;
* ``command``: the click command, registered in ``generator.cli``.

Nothing here writes files or reads the spec other than through the spec pipeline.  The
package imports nothing itself: each user imports the module it needs.
"""
