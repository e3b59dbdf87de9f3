"""Load and validate a label scheme (``labels/*.yml``) into frozen dataclasses."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from annotator.colours import AA_TEXT, WHITE, contrast_ratio
from annotator.errors import AnnotatorError

# The sections of a scheme file; the span layers of a decision are ``annotator.spans.LAYERS``.
SchemeLayer = Literal["entities", "events", "roles", "categories"]

SCHEME_LAYERS: tuple[SchemeLayer, ...] = ("entities", "events", "roles", "categories")
# Keys the annotate page binds to decisions, and Streamlit's own rerun / clear-cache keys.
RESERVED_KEYS = frozenset({"a", "x", "u", "r", "c", " "})

# Any case, so that a peer's scheme fits as it is ("Organization", "Merge-org", "B-PER", "1").
_LABEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LABEL_KEYS = {"description", "colour", "shortcut", "guideline"}
_EVENT_KEYS = _LABEL_KEYS | {"category"}
# A role says which entity labels may play it and whether an event may have it more than once.
_ROLE_KEYS = _LABEL_KEYS | {"accepts", "repeat"}
_CATEGORY_KEYS = {"exclusive", "labels"}
# The span editor and the adjudication cards draw these layers' labels as badges: white text on
# an entity's colour, an event's colour as text on white.
_BADGE_LAYERS = frozenset({"entities", "events"})


class SchemeError(AnnotatorError, ValueError):
    """A label scheme file that cannot be used; the message names the file and the entry."""

    def __init__(self, path: Path | str, entry: str, reason: str) -> None:
        self.path = str(path)
        self.entry = entry
        self.reason = reason
        super().__init__(f"{path}: {entry}: {reason}")


@dataclass(frozen=True)
class Label:
    """One label of one layer, with what the annotate page shows for it."""

    name: str
    layer: SchemeLayer
    description: str
    colour: str
    shortcut: str
    guideline: str
    category: str | None = None
    # Roles only: the entity labels an argument in this role may point at, and whether one
    # event may have several arguments in it (two attacking groups, a village and its township).
    accepts: tuple[str, ...] = ()
    repeat: bool = False


@dataclass(frozen=True)
class LabelScheme:
    """A validated label scheme: entity, event and role labels and sentence categories."""

    path: str
    entities: tuple[Label, ...]
    events: tuple[Label, ...]
    roles: tuple[Label, ...]
    categories: tuple[Label, ...]
    categories_exclusive: bool
    _by_name: Mapping[str, Label] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {label.name: label for label in self.all_labels()}
        object.__setattr__(self, "_by_name", by_name)

    def all_labels(self) -> Iterator[Label]:
        """Every label of every layer, in file order."""
        yield from self.entities
        yield from self.events
        yield from self.roles
        yield from self.categories

    def layer(self, layer: SchemeLayer) -> tuple[Label, ...]:
        """The labels of one layer."""
        return {
            "entities": self.entities,
            "events": self.events,
            "roles": self.roles,
            "categories": self.categories,
        }[layer]

    def names(self, layer: SchemeLayer) -> tuple[str, ...]:
        """The label names of one layer."""
        return tuple(label.name for label in self.layer(layer))

    def get(self, name: str) -> Label | None:
        """The label with this name in any layer, or None."""
        return self._by_name.get(name)

    def role(self, name: str) -> Label | None:
        """The role label with this name, or None."""
        label = self._by_name.get(name)
        return label if label is not None and label.layer == "roles" else None

    def category_for_event(self, event_label: str) -> str | None:
        """The sentence category an event label implies, if any."""
        label = self._by_name.get(event_label)
        return label.category if label is not None and label.layer == "events" else None


def load_scheme(path: Path | str) -> LabelScheme:
    """Read and validate a label scheme file; raise SchemeError naming the file and entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SchemeError(path, "file", f"cannot be read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise SchemeError(path, "file", "is not valid UTF-8") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise SchemeError(path, where, f"is not valid YAML ({error})") from error
    return parse_scheme(data, path=path)


def parse_scheme(data: Any, *, path: Path | str = "<scheme>") -> LabelScheme:
    """Validate an already parsed scheme mapping."""
    if not isinstance(data, dict):
        raise SchemeError(
            path, "top level", "must be a mapping with keys " + ", ".join(SCHEME_LAYERS)
        )
    unknown = sorted(set(map(str, data)) - set(SCHEME_LAYERS))
    if unknown:
        raise SchemeError(
            path,
            f"top-level key {unknown[0]!r}",
            "unknown key; allowed: " + ", ".join(SCHEME_LAYERS),
        )
    for required in ("entities", "events", "categories"):
        if required not in data:
            raise SchemeError(path, f"top-level key {required!r}", "is missing")

    entities = _parse_layer(data.get("entities"), "entities", path=path, allowed=_LABEL_KEYS)
    events = _parse_layer(data.get("events"), "events", path=path, allowed=_EVENT_KEYS)
    roles = (
        _parse_layer(data["roles"], "roles", path=path, allowed=_ROLE_KEYS)
        if data.get("roles") is not None
        else []
    )

    raw_categories = data["categories"]
    if not isinstance(raw_categories, dict):
        raise SchemeError(path, "categories", "must be a mapping with keys exclusive and labels")
    unknown = sorted(set(map(str, raw_categories)) - _CATEGORY_KEYS)
    if unknown:
        raise SchemeError(
            path, f"categories.{unknown[0]}", "unknown key; allowed: exclusive, labels"
        )
    exclusive = raw_categories.get("exclusive", False)
    if not isinstance(exclusive, bool):
        raise SchemeError(path, "categories.exclusive", "must be true or false")
    categories = _parse_layer(
        raw_categories.get("labels"), "categories", path=path, allowed=_LABEL_KEYS
    )

    scheme_labels = [*entities, *events, *roles, *categories]
    seen_names: dict[str, Label] = {}
    seen_keys: dict[str, Label] = {}
    for label in scheme_labels:
        entry = f"{label.layer}.{label.name}"
        if label.name in seen_names:
            other = seen_names[label.name]
            raise SchemeError(path, entry, f"duplicate label (already in {other.layer})")
        seen_names[label.name] = label
        key = label.shortcut.lower()
        if key in seen_keys:
            other = seen_keys[key]
            raise SchemeError(
                path,
                entry,
                f"duplicate shortcut {label.shortcut!r} (already {other.layer}.{other.name})",
            )
        seen_keys[key] = label
    entity_names = {label.name for label in entities}
    for label in roles:
        outside = [name for name in label.accepts if name not in entity_names]
        if outside:
            raise SchemeError(
                path, f"roles.{label.name}.accepts", f"unknown entity label {outside[0]!r}"
            )
    category_names = {label.name for label in categories}
    for label in events:
        if label.category is not None and label.category not in category_names:
            raise SchemeError(
                path, f"events.{label.name}.category", f"unknown category {label.category!r}"
            )
    return LabelScheme(
        path=str(path),
        entities=tuple(entities),
        events=tuple(events),
        roles=tuple(roles),
        categories=tuple(categories),
        categories_exclusive=exclusive,
    )


def _parse_layer(
    raw: Any, layer: SchemeLayer, *, path: Path | str, allowed: set[str]
) -> list[Label]:
    where = "categories.labels" if layer == "categories" else layer
    if not isinstance(raw, dict) or not raw:
        raise SchemeError(path, where, "must be a non-empty mapping of label names to settings")
    labels: list[Label] = []
    for key, spec in raw.items():
        # YAML reads an unquoted 1 as a number; a scale's values are label names all the same.
        name = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        entry = f"{where}.{name}"
        if not isinstance(name, str) or not _LABEL_NAME.match(name):
            raise SchemeError(
                path,
                entry,
                "label names are letters (any case), digits, '_', '-' and '.', "
                "starting with a letter or digit",
            )
        if not isinstance(spec, dict):
            raise SchemeError(path, entry, "must be a mapping of " + ", ".join(sorted(allowed)))
        unknown = sorted(set(map(str, spec)) - allowed)
        if unknown:
            raise SchemeError(
                path, f"{entry}.{unknown[0]}", "unknown key; allowed: " + ", ".join(sorted(allowed))
            )
        for key in sorted(_LABEL_KEYS):
            if not isinstance(spec.get(key), str) or not spec[key].strip():
                raise SchemeError(path, f"{entry}.{key}", "is missing or empty")
        colour = spec["colour"]
        if not _COLOUR.match(colour):
            raise SchemeError(path, f"{entry}.colour", f"bad colour {colour!r}; use #rrggbb")
        if layer in _BADGE_LAYERS and (ratio := contrast_ratio(colour, WHITE)) < AA_TEXT:
            raise SchemeError(
                path,
                f"{entry}.colour",
                f"{colour} has a contrast of {ratio:.2f}:1 against white, under the {AA_TEXT}:1 "
                "of WCAG AA that its badge's text needs; pick a darker colour",
            )
        shortcut = spec["shortcut"]
        if len(shortcut) != 1 or not shortcut.isprintable():
            raise SchemeError(path, f"{entry}.shortcut", f"must be one key, got {shortcut!r}")
        if shortcut.lower() in RESERVED_KEYS:
            raise SchemeError(
                path, f"{entry}.shortcut", f"{shortcut!r} is reserved for the decision keys"
            )
        category = spec.get("category")
        if isinstance(category, int) and not isinstance(category, bool):
            category = str(category)  # an unquoted YAML number, as a label's name may be
        if category is not None and not isinstance(category, str):
            raise SchemeError(path, f"{entry}.category", "must be a category label name")
        accepts = spec.get("accepts", [])
        if not isinstance(accepts, list) or not all(isinstance(name, str) for name in accepts):
            raise SchemeError(path, f"{entry}.accepts", "must be a list of entity label names")
        repeat = spec.get("repeat", False)
        if not isinstance(repeat, bool):
            raise SchemeError(path, f"{entry}.repeat", "must be true or false")
        labels.append(
            Label(
                name=name,
                layer=layer,
                description=spec["description"].strip(),
                colour=colour.lower(),
                shortcut=shortcut,
                guideline=spec["guideline"].strip(),
                category=category,
                accepts=tuple(accepts),
                repeat=repeat,
            )
        )
    return labels
