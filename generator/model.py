"""The resolved spec: one immutable, self-contained model that every target reads.

The resolver (``generator.resolve``) builds it from validated YAML.  Everything a
target needs is already here: inherited schedules, opt-outs, editions and version limits
are resolved onto each payload and field, wire names are derived, and ordering is the
spec's declaration order.  Targets never re-read YAML, never re-derive anything and
cannot change the model (every class is a frozen dataclass holding tuples).

Must not: hold logic that decides a name or an inheritance (``resolve`` and ``naming``
do), mutable containers, or anything specific to one product or one target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from generator.kinds import Kind
from generator.naming import pascal_case
from generator.phrases import DEFAULTS, plain


@dataclass(frozen=True, order=True)
class Location:
    """Where a spec element was written: file path relative to the spec folder, 1-based
    line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


@dataclass(frozen=True)
class Versions:
    """Product versions a thing exists in; both ends inclusive, either may be None."""

    min: str | None = None
    max: str | None = None

    @property
    def limited(self) -> bool:
        return self.min is not None or self.max is not None

    def text(self, phrases: Mapping[str, str] | None = None) -> str:
        """Human wording, e.g. "only in v5.5 and earlier"; empty when unlimited.
        ``phrases`` (a spec's wording, see ``generator.phrases``) default to the
        generator's."""
        ph = phrases if phrases is not None else DEFAULTS
        if self.min and self.max:
            return plain(ph["versions_range"], min=self.min, max=self.max)
        if self.max:
            return plain(ph["versions_max"], max=self.max)
        if self.min:
            return plain(ph["versions_min"], min=self.min)
        return ""

    @property
    def reversed(self) -> bool:
        """Whether ``min`` is after ``max`` (an invalid range)."""
        return bool(self.min and self.max and _vkey(self.min) > _vkey(self.max))

    def range_text(self) -> str:
        """The range for messages: "5.0 to 5.5", "from 5.0", "up to 5.5"."""
        if self.min and self.max:
            return f"{self.min} to {self.max}"
        return f"from {self.min}" if self.min else f"up to {self.max}"

    def intersect(self, inherited: Versions) -> Versions:
        """The versions in both ranges: the later minimum and the earlier maximum."""
        if not inherited.limited:
            return self
        if not self.limited:
            return inherited
        lo = max((v for v in (self.min, inherited.min) if v), key=_vkey, default=None)
        hi = min((v for v in (self.max, inherited.max) if v), key=_vkey, default=None)
        return Versions(lo, hi)

    def as_dict(self) -> dict[str, str]:
        out = {}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out


@dataclass(frozen=True)
class Expiry:
    """When collection of something stops: ``kind`` is ``date`` (``value`` an ISO date),
    ``version`` (a product version) or ``never`` (``reason`` says why).  ``scope`` is the
    element that declared it (``("product",)``, ``("feature", id)``, ``("section", id)``,
    ``("payload", wire)`` or ``("field", wire, key)``), for messages and suppressions."""

    kind: str
    value: str
    reason: str
    scope: tuple
    location: Location

    def text(self) -> str:
        """Human wording: "2027-06-30", "v8.0", "never (reason)"."""
        if self.kind == "version":
            return f"v{self.value}"
        if self.kind == "never":
            return f"never ({self.reason})" if self.reason else "never"
        return self.value


@dataclass(frozen=True)
class Governance:
    """Who answers for data, who approved collecting it, and when collection stops;
    resolved onto every element (the innermost element declaring each part wins, like
    editions)."""

    owners: tuple[str, ...] = ()
    reviews: tuple[str, ...] = ()
    tickets: tuple[str, ...] = ()
    expires: Expiry | None = None

    @property
    def empty(self) -> bool:
        return not (self.owners or self.reviews or self.tickets or self.expires)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form the catalogue and the schemas' annotations print."""
        e = self.expires
        return {
            "owners": list(self.owners),
            "reviews": list(self.reviews),
            "tickets": list(self.tickets),
            "expires": {"kind": e.kind, "value": e.value, "reason": e.reason} if e else None,
        }


NO_GOVERNANCE = Governance()


@dataclass(frozen=True)
class GovernancePolicy:
    """The product's governance settings: the severity (``error``, ``warning`` or
    ``off``) of the missing-owner, missing-approval and unreviewed rules, and how far
    ahead an expiry is warned about (days for a date, minor versions for a product
    version)."""

    owners: str = "off"
    approvals: str = "off"
    unreviewed: str = "error"
    expiry_window_days: int = 30
    expiry_window_versions: int = 1


@dataclass(frozen=True)
class Edition:
    """A product edition some telemetry is limited to (e.g. an enterprise edition)."""

    id: str
    title: str


@dataclass(frozen=True)
class Setting:
    """A product setting that switches telemetry off, and where a user finds it."""

    id: str
    console_path: tuple[str, ...]
    default: Any
    description: str
    location: Location
    # How a user changes it: console_setting (console_path), environment_variable (the
    # id), command (``command``), config_key (``key`` in ``file``), cli_flag (``flag``).
    kind: str = "console_setting"
    command: str = ""
    flag: str = ""
    key: str = ""
    file: str = ""


@dataclass(frozen=True)
class OptOut:
    """One way to stop a feature: the setting and the values that switch it off, what
    turning it off costs; or, with no setting, why it cannot be switched off
    (``not_possible``).  ``off_rule`` names a rule instead of a list of values
    (``any_non_empty``, or ``set``: the environment-variable truthiness of
    ``generator.privacy.ENV_NOT_SET``); ``off_values`` is then empty."""

    setting: Setting | None
    cost: str
    off_value: Any = False  # the first of ``off_values``
    off_values: tuple[Any, ...] = (False,)
    off_rule: str = ""
    not_possible: str = ""

    @property
    def any_non_empty(self) -> bool:
        return self.off_rule == "any_non_empty"

    @property
    def console_path_text(self) -> str:
        return " > ".join(self.setting.console_path) if self.setting else ""

    def as_dict(self) -> dict[str, Any]:
        """The opt-out as data (catalogue, schema annotations): the setting, its kind,
        where a user finds it, and the values that switch it off (``off_values``: a
        list, or the name of an off rule, "any_non_empty" or "set"); for a feature that
        cannot be switched off, ``setting`` is null and ``not_possible`` says why."""
        st = self.setting
        return {
            "setting": st.id if st else None,
            "kind": st.kind if st else "not_possible",
            "console_path": list(st.console_path) if st else [],
            "command": st.command if st else "",
            "flag": st.flag if st else "",
            "key": st.key if st else "",
            "file": st.file if st else "",
            "off_value": self.off_value,
            "off_values": self.off_rule or list(self.off_values),
            "not_possible": self.not_possible,
        }


@dataclass(frozen=True)
class Feature:
    """A unit of telemetry a user can switch off as a whole."""

    id: str
    title: str
    description: str
    purposes: tuple[str, ...]
    sender: str
    destination: str
    opt_out: OptOut | None  # the first of ``opt_outs``
    location: Location
    governance: Governance = NO_GOVERNANCE  # resolved (own, else the product's)
    #: Every way to switch the feature off (a command, an environment variable, a
    #: setting), in spec order; ``opt_out`` is the first.
    opt_outs: tuple[OptOut, ...] = ()

    def __post_init__(self) -> None:
        if not self.opt_outs and self.opt_out is not None:
            object.__setattr__(self, "opt_outs", (self.opt_out,))


@dataclass(frozen=True)
class Schedule:
    """When a section's data is sent: ``every`` (with ``interval``, e.g. "24h") or ``event``."""

    id: str
    trigger: str
    interval: str | None
    seconds: int | None
    text: str


@dataclass(frozen=True)
class FieldGroup:
    """A documented grouping of a section's fields by kind (e.g. "Counts (integer)")."""

    title: str
    kinds: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Category:
    """A documented group of events inside an ``on event`` section."""

    id: str
    title: str
    description: str
    edition: Edition | None
    versions: Versions
    location: Location


@dataclass(frozen=True)
class Section:
    """A documented group of payloads inside a feature, with its schedule and edition."""

    id: str
    title: str
    feature_id: str
    schedule: Schedule
    edition: Edition | None
    description: str
    field_groups: tuple[FieldGroup, ...]
    categories: tuple[Category, ...]
    location: Location
    governance: Governance = NO_GOVERNANCE  # resolved (own, else the feature's)


@dataclass(frozen=True)
class Field:
    """One documented datum, with everything inherited already resolved onto it.

    ``name`` is the documented name inside its payload's group (``EnableCommands``);
    ``qualified_name`` adds the group (``ServiceSettings.EnableCommands``).
    """

    name: str
    qualified_name: str
    wire_key: str
    kind: Kind
    description: str
    values: tuple[Any, ...]
    required: bool
    uses_input_data: bool
    personal_data_note: str
    notes: tuple[str, ...]
    # Resolved from payload, section and feature:
    payload: str
    section_id: str
    feature_id: str
    schedule: Schedule
    opt_out_setting: str | None
    edition: Edition | None
    versions: Versions
    location: Location
    # Personal data: one of ``generator.privacy.PD_LEVELS`` ("none", "pseudonymous",
    # "possible", or "unreviewed" until someone has judged it); for pseudonymous and
    # possible, why it is collected and how it is reduced (truncation, hashing, ...).
    personal_data: str = "none"
    collected_because: str = ""
    reduction: tuple[str, ...] = ()
    # Set by `gen infer` on what it inferred from traffic; lint warns until removed.
    review: str = ""
    # Owners, approvals and expiry: own, else the payload's, section's, feature's, product's.
    governance: Governance = NO_GOVERNANCE


@dataclass(frozen=True)
class Payload:
    """One message on the wire; gets one JSON Schema and one pydantic model.

    ``type`` is ``record`` (a periodic bag of properties) or ``event`` (an action; its
    ``wire_name`` is the event name, ``category_id`` its documented category).
    """

    wire_name: str
    type: str
    title: str
    group: str
    description: str
    section_id: str
    feature_id: str
    category_id: str | None
    schedule: Schedule
    opt_out_setting: str | None
    edition: Edition | None
    versions: Versions
    fields: tuple[Field, ...]
    location: Location
    #: The payload schema's own version (semantic versioning; ``$id`` and the model
    #: show it): breaking changes need a major bump, additive a minor, wording a patch.
    version: str = "1.0.0"
    review: str = ""  # as Field.review
    governance: Governance = NO_GOVERNANCE  # resolved (own, else the section's)

    @property
    def model_name(self) -> str:
        """The pydantic class name: the wire name in PascalCase."""
        return pascal_case(self.wire_name)


@dataclass(frozen=True)
class Product:
    """What the spec describes, why it collects, and what it promises."""

    id: str
    name: str
    summary: str
    privacy_policy_title: str
    privacy_policy_url: str
    purposes_intro: str
    purposes: tuple[str, ...]
    guarantees: tuple[str, ...]
    schema_base_uri: str
    location: Location
    governance: Governance = NO_GOVERNANCE  # the product-wide defaults
    governance_policy: GovernancePolicy = GovernancePolicy()


@dataclass(frozen=True)
class TemplateFile:
    """One file of a template target's folder: its path inside the folder ('/'-separated)
    and its text (read when the spec is loaded, so targets never touch the disk)."""

    path: str
    text: str


@dataclass(frozen=True)
class TemplateTarget:
    """A maintainer's target: a folder of Jinja templates rendered into ``out``."""

    name: str
    folder: str
    out: str
    description: str
    files: tuple[TemplateFile, ...]
    location: Location


@dataclass(frozen=True)
class ProducerOutput:
    """A built-in producer target the spec turned on (``outputs.go`` / ``outputs.typescript``):
    ``package`` (Go package name) and ``module`` (Go module path or npm module name),
    as the spec wrote them; empty means the default, which the target applies."""

    module: str = ""
    package: str = ""


@dataclass(frozen=True)
class Outputs:
    """The spec's ``outputs`` block: the package name downstream projects vendor the
    output folder as (None: not named), the template targets, and the built-in producer
    targets turned on (None: off)."""

    package: str | None = None
    templates: tuple[TemplateTarget, ...] = ()
    go: ProducerOutput | None = None
    typescript: ProducerOutput | None = None


@dataclass(frozen=True)
class Spec:
    """The whole resolved spec.  Tuples are in declaration order."""

    format_version: int
    product: Product
    editions: tuple[Edition, ...]
    settings: tuple[Setting, ...]
    features: tuple[Feature, ...]
    sections: tuple[Section, ...]
    payloads: tuple[Payload, ...]
    # The fixed wording (defaults merged with the spec's ``phrases``), sorted by key.
    phrases: tuple[tuple[str, str], ...] = ()
    outputs: Outputs = Outputs()
    # Lookup tables derived from the fields above when the spec is made (never changed
    # after, and made afresh by ``dataclasses.replace``): phrases, and features,
    # sections and payloads by id.
    _index: Mapping[str, Mapping[str, Any]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({
            "phrases": MappingProxyType(dict(self.phrases)),
            "feature": MappingProxyType({f.id: f for f in self.features}),
            "section": MappingProxyType({s.id: s for s in self.sections}),
            "payload": MappingProxyType({p.wire_name: p for p in self.payloads}),
        }))

    def phrase(self, key: str) -> str:
        """The wording of phrase ``key`` (the spec's, else the generator's default)."""
        return self._index["phrases"][key]

    def feature(self, feature_id: str) -> Feature:
        return self._lookup("feature", feature_id, self.features)

    def section(self, section_id: str) -> Section:
        return self._lookup("section", section_id, self.sections)

    def payload(self, wire_name: str) -> Payload:
        return self._lookup("payload", wire_name, self.payloads, attr="wire_name")

    def sections_of(self, feature_id: str) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.feature_id == feature_id)

    def payloads_of(self, section_id: str) -> tuple[Payload, ...]:
        return tuple(p for p in self.payloads if p.section_id == section_id)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for p in self.payloads for f in p.fields)

    def _lookup(self, what: str, key: str, items: tuple, attr: str = "id"):
        return self._index[what][key]
