"""The data classes of the privacy docs' presentation view (``docs_view`` builds them).

Plain frozen records: what the three docs formats and user templates print, already
sorted, grouped and worded.  Must not: compute anything from the model (``docs_view``
does) or emit markup (the templates do).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: plain text, or the privacy-policy link."""

    text: str
    is_link: bool = False


@dataclass(frozen=True)
class FieldView:
    """One field as the docs print it."""

    anchor: str
    name: str
    qualified_name: str
    wire_key: str
    payload: str
    kind_id: str
    kind_label: str
    kind_title: str
    kind_noun: str  # the kind's title as it reads mid-sentence ("version string")
    description: str
    values: tuple[str, ...]
    notes: tuple[str, ...]
    personal_data_note: str
    uses_input_data: bool
    marks: tuple[str, ...]  # limits this field adds to its payload's
    edition: str  # the field's full edition limit (title), "" if none
    versions: str  # the field's full version limit ("only in v5.5 and earlier"), "" if none
    optional: bool = False
    personal_data: str = "none"  # none, pseudonymous, possible
    personal_data_label: str = ""  # the phrase for it ("May contain personal data")
    collected_because: str = ""
    reduction: str = ""  # the reductions as words, joined ("path scrubbing, truncation")
    owners: str = ""  # the field's owners, comma-separated ("" if none)
    expires: str = ""  # its expiry as text ("2027-06-30", "v8.0", "never (...)")
    expires_date: str = ""  # the ISO date of a date expiry (the HTML filters on it)


@dataclass(frozen=True)
class GroupBlock:
    """The fields of one payload group inside a field group: "**Group** (marks): ..."."""

    group: str
    marks: tuple[str, ...]
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class FieldGroupView:
    """A section's documented grouping of its fields by kind (e.g. "Counts (integer)").

    ``described`` lists the fields of the group that have a description, which the
    compact "label Name" form cannot carry.
    """

    title: str
    note: str
    blocks: tuple[GroupBlock, ...]
    described: tuple[FieldView, ...]


@dataclass(frozen=True)
class PayloadBlock:
    """The fields of one record payload in a section listed field by field.

    ``show_title`` is False when the payload is its section's only one and adds no
    limit: its title would only repeat the section's.
    """

    title: str
    wire_name: str
    marks: tuple[str, ...]
    description: str
    show_title: bool
    fields: tuple[FieldView, ...]

    @property
    def annotated(self) -> bool:
        """Some field carries a limit, a note or the no-input-data statement (a table
        then needs its notes column)."""
        return any(f.marks or f.notes or not f.uses_input_data or f.optional or f.personal_data != "none" or f.personal_data_note for f in self.fields)


@dataclass(frozen=True)
class EventView:
    anchor: str
    wire_name: str
    title: str
    description: str
    marks: tuple[str, ...]
    edition: str
    versions: str
    fields: tuple[FieldView, ...]  # the properties it carries


@dataclass(frozen=True)
class EventGroup:
    """Consecutive events of a category that carry the same properties: the docs list
    the properties once for all of them (``fields`` are the first event's)."""

    events: tuple[EventView, ...]
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class CategoryView:
    id: str
    title: str  # "" for events a section lists without a category
    marks: tuple[str, ...]
    description: str
    event_groups: tuple[EventGroup, ...]


@dataclass(frozen=True)
class SectionView:
    id: str
    anchor: str
    title: str
    marks: tuple[str, ...]
    edition: str
    description: str
    field_groups: tuple[FieldGroupView, ...]
    payload_blocks: tuple[PayloadBlock, ...]
    categories: tuple[CategoryView, ...]
    # With field groups: the record payloads as (group or title, wire name, description)
    payloads: tuple[tuple[str, str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to list (a section declared before its payloads are written)."""
        return not (self.description or self.field_groups or self.payload_blocks or self.categories)


@dataclass(frozen=True)
class ScheduleView:
    """The sections of one feature that share a schedule."""

    id: str
    text: str
    trigger: str
    sections: tuple[SectionView, ...]


@dataclass(frozen=True)
class OptOutView:
    """How a user switches a feature off, in the words of its kind."""

    kind: str  # console_setting, environment_variable, command, config_key, cli_flag, not_possible
    setting_id: str
    path: tuple[str, ...]
    path_text: str
    disable: bool  # a console setting switched off by setting it to false
    off_value: str  # the value that stops the feature, as text, when not simply false
    cost: str
    off_values: tuple[str, ...] = ()  # every off value as text; empty with any_non_empty
    any_non_empty: bool = False
    default: str = ""  # the setting's default as text ("" when it has none: unset)
    description: str = ""
    command: str = ""
    flag: str = ""
    key: str = ""
    file: str = ""
    reason: str = ""  # why it cannot be switched off (kind not_possible)
    way: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # the opt-out as data (OptOut.as_dict)
    off_rule: str = ""  # any_non_empty or set (then off_values is empty)


@dataclass(frozen=True)
class FeatureView:
    id: str
    anchor: str
    title: str
    description: str
    purposes: tuple[str, ...]
    sender: str
    destination: str
    opt_out: OptOutView | None  # the first of opt_outs
    schedules: tuple[ScheduleView, ...]
    field_count: int
    event_count: int
    governance: str = ""  # "Owners: ...; approvals: ...; expires ..." ("" if none set)
    opt_outs: tuple[OptOutView, ...] = ()  # every way to switch it off, in spec order


@dataclass(frozen=True)
class ProductView:
    name: str
    summary: str
    guarantees: tuple[tuple[Part, ...], ...]
    policy_title: str
    policy_url: str  # "" when the spec gives none (or gives one that is not http(s))
    policy_inline: bool  # a guarantee names the policy, and the link is placed there
    purposes_intro: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class DocView:
    product: ProductView
    features: tuple[FeatureView, ...]
    field_count: int
    event_count: int
    phrases: Any = None  # the spec's wording (``Spec.phrases`` as a mapping)
    has_editions: bool = False
    changes: tuple = ()  # generator.diff.history.HistoryEntry, newest first


