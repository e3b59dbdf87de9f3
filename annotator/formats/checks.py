"""The checks every reader applies to an imported annotation: the same as on the annotate page.

``build_annotation`` is the one place where a file's spans, categories and event arguments
become this project's: their labels and roles renamed by the label map, their spans fitted to
this project's tokens (``ReadOptions.align``), every change noted on the annotation, and the
result checked like a reviewer's decision. A file's relation or argument whose role the scheme
(read through the label map) does not have, or that joins no event trigger to an entity, is
noted as left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from spacy.tokens import Doc

from annotator.errors import AnnotatorError
from annotator.formats.records import DEFAULT_OPTIONS, Adjustment, ReadOptions, RecordAnnotation
from annotator.labels import LabelScheme
from annotator.spans import (
    Argument,
    Draft,
    Layer,
    Span,
    SpanError,
    Status,
    check_draft,
    layer_of,
)
from annotator.tokens import blank_english, token_bounds

_KIND: dict[Layer, str] = {"entities": "entity", "events": "event"}
ALIGN_HINT = "use --align expand or --align contract"
MAP_HINT = "it is neither in the scheme nor in the label map (--label-map theirs -> ours)"


class AnnotationProblem(AnnotatorError, ValueError):
    """Why an annotation cannot be imported; a reader adds the file and, unless ``line`` says
    where in the file it is (a brat T line, a CSV row), the record's line."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line


@dataclass(frozen=True)
class FileSpan:
    """A span as a file gives it: offsets, the label as the file spells it, the layer when the
    file says it (None: the scheme's layer of the label, once mapped), and the file's line
    when it is not the record's."""

    start_char: int
    end_char: int
    label: str
    layer: Layer | None = None
    line: int | None = None


@dataclass(frozen=True)
class FileArgument:
    """An event argument as a file gives it: two of the record's spans, as the file gives them
    too, and the role as the file spells it. ``event`` is the end the file names first (brat's
    trigger, a relation's head or ``from_id``); a relation drawn from the entity to the trigger
    is read the other way round. ``kind`` names it in notes ("argument", "relation")."""

    event: FileSpan
    role: str
    entity: FileSpan
    line: int | None = None
    kind: str = "argument"


# brat numbers a role an event has more than once: Theme, Theme2, Theme3.
_ROLE_NUMBER = re.compile(r"(?<=\D)\d+$")


def build_annotation(
    text: str,
    *,
    spans: Iterable[FileSpan],
    categories: Iterable[str],
    annotator: str | None,
    status: Status,
    scheme: LabelScheme,
    options: ReadOptions = DEFAULT_OPTIONS,
    arguments: Iterable[FileArgument] = (),
) -> RecordAnnotation:
    """A checked annotation of ``text`` with the label map and alignment of ``options``
    applied (each change in its ``adjustments``); raise AnnotationProblem saying what does not
    fit."""
    adjustments: list[Adjustment] = []
    layers: dict[Layer, list[Span]] = {"entities": [], "events": []}
    # Each file span's place in this project (after the map and the alignment), for arguments.
    placed: dict[tuple[int, int, str], tuple[Layer, Span]] = {}
    aligner = _Aligner(text, options=options)
    for found in spans:
        layer, label = span_label(found, scheme=scheme, options=options)
        if label != found.label:
            adjustments.append(Adjustment("renamed", f"{found.label} -> {label}", found.line))
        span, change = aligner.align(found, label=label, layer=layer)
        placed[_key(found)] = (layer, span)
        if change is not None:
            if span in layers[layer]:
                change += "; the same as another span then, kept once"
                adjustments.append(Adjustment("aligned", change, found.line))
                continue
            adjustments.append(Adjustment("aligned", change, found.line))
        layers[layer].append(span)
    kept: list[Argument] = []
    for argument in arguments:
        found_argument, notes = _argument(
            argument, placed=placed, text=text, scheme=scheme, options=options
        )
        adjustments.extend(notes)
        if found_argument is not None and found_argument not in kept:
            kept.append(found_argument)
    chosen: list[str] = []
    for name in categories:
        ours = category_label(name, scheme=scheme, options=options)
        if ours != name:
            adjustments.append(Adjustment("renamed", f"{name} -> {ours}"))
        chosen.append(ours)
    draft = Draft(
        tuple(sorted(layers["entities"])),
        tuple(sorted(layers["events"])),
        tuple(dict.fromkeys(chosen)),
        tuple(sorted(kept)),
    )
    try:
        check_draft(draft, text=text, scheme=scheme)
    except SpanError as error:
        raise AnnotationProblem(str(error)) from None
    return RecordAnnotation(
        entities=draft.entities,
        events=draft.events,
        categories=draft.categories,
        annotator=annotator,
        status=status,
        adjustments=tuple(adjustments),
        arguments=draft.arguments,
    )


def _key(found: FileSpan) -> tuple[int, int, str]:
    return found.start_char, found.end_char, found.label


def _argument(
    found: FileArgument,
    *,
    placed: dict[tuple[int, int, str], tuple[Layer, Span]],
    text: str,
    scheme: LabelScheme,
    options: ReadOptions,
) -> tuple[Argument | None, list[Adjustment]]:
    """The argument a file's argument or relation is, with the notes it gives (a renamed role);
    None and a "left out" note when it is none of the scheme's."""
    first, second = placed.get(_key(found.event)), placed.get(_key(found.entity))
    ends = f"from {_shown(found.event, text)} to {_shown(found.entity, text)}"

    def left_out(why: str) -> tuple[None, list[Adjustment]]:
        what = f"{found.kind} {found.role} {ends} read but not kept: {why}"
        return None, [Adjustment("left out", what, found.line)]

    if first is None or second is None:
        return left_out("it points at no span of the record")
    if first[0] == "entities" and second[0] == "events":
        first, second = second, first
    if (first[0], second[0]) != ("events", "entities"):
        return left_out("it joins no event trigger to an entity")
    role = role_label(found.role, scheme=scheme, options=options)
    if role is None:
        known = ", ".join(scheme.names("roles")) or "none"
        return left_out(
            f"{found.role!r} is no role of the scheme ({known}); name it in the label map "
            "(--label-map theirs -> ours)"
        )
    # brat's number on a repeated role (ACTOR2) is no rename; a label map's is.
    unchanged = (found.role, _ROLE_NUMBER.sub("", found.role))
    notes = [] if role in unchanged else [Adjustment("renamed", f"{found.role} -> {role}")]
    return Argument(first[1], role, second[1]), notes


def _shown(found: FileSpan, text: str) -> str:
    return f"{found.start_char}-{found.end_char} {text[found.start_char : found.end_char]!r}"


def role_label(
    name: str, *, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> str | None:
    """Our role for a file's role or relation name, through the label map; a name brat
    numbered (``Theme2``) is also read without its number. None when the scheme has no such
    role."""
    candidates = [name]
    stripped = _ROLE_NUMBER.sub("", name)
    if stripped and stripped != name:
        candidates.append(stripped)
    for candidate in candidates:
        ours = options.label(candidate)
        if scheme.role(ours) is not None:
            return ours
    return None


def span_label(
    found: FileSpan, *, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> tuple[Layer, str]:
    """The layer and our name of a file's span label; AnnotationProblem when the scheme, read
    through the label map, has no such label in that layer."""
    ours = options.label(found.label)
    layer = layer_of(ours, scheme=scheme)
    if layer is not None and found.layer in (None, layer):
        return layer, ours
    kind = "entity or event" if found.layer is None else _KIND[found.layer]
    where = f"{'' if found.layer is None else kind + ' '}span {found.start_char}-{found.end_char}"
    where += f" {found.label}"
    if layer is not None:
        raise AnnotationProblem(
            f"{where}: unknown {kind} label {ours!r} (it is an {_KIND[layer]} label)",
            line=found.line,
        )
    raise AnnotationProblem(f"{where}: {_unknown(kind, found.label, ours)}", line=found.line)


def category_label(
    name: str, *, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> str:
    """Our name of a file's category; AnnotationProblem when the scheme has no such category."""
    ours = options.label(name)
    if ours in scheme.names("categories"):
        return ours
    raise AnnotationProblem(_unknown("category", name, ours))


def _unknown(kind: str, theirs: str, ours: str) -> str:
    if ours != theirs:
        return (
            f"unknown {kind} label {theirs!r}: the label map (--label-map) reads it as "
            f"{ours!r}, which is not one of the scheme's {kind} labels"
        )
    return f"unknown {kind} label {theirs!r}: {MAP_HINT}"


class LabelMapError(AnnotatorError, ValueError):
    """A label map file that cannot be used; the message names the file and the entry."""


def read_label_map(path: Path | str, *, scheme: LabelScheme) -> dict[str, str]:
    """A label map file (YAML, or JSON: an object of their label -> ours) whose every target
    is a span label, role or category of ``scheme``; their numeric ids become strings."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise LabelMapError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise LabelMapError(f"{path}: is not UTF-8 text") from None
    try:
        data: Any = (
            json.loads(content) if path.suffix.lower() == ".json" else yaml.safe_load(content)
        )
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        detail = str(error).splitlines()[0]
        raise LabelMapError(f"{path}: is not valid {kind} ({detail})") from None
    if not isinstance(data, dict) or not data:
        raise LabelMapError(
            f"{path}: a label map is an object of their label -> ours, like "
            '{"Organization": "ORG", "3": "GPE"}'
        )
    ours = {
        *scheme.names("entities"),
        *scheme.names("events"),
        *scheme.names("roles"),
        *scheme.names("categories"),
    }
    found: dict[str, str] = {}
    for theirs, mine in data.items():
        if not _is_name(theirs) or not _is_name(mine):
            raise LabelMapError(
                f"{path}: {theirs!r}: {mine!r}: both sides must be label names or numbers"
            )
        if str(mine) not in ours:
            raise LabelMapError(
                f"{path}: {theirs} -> {mine}: {str(mine)!r} is not an entity, event, role or "
                f"category label of {scheme.path}"
            )
        found[str(theirs)] = str(mine)
    return found


def _is_name(value: Any) -> bool:
    # YAML reads 3: GPE with a number for a key; a boolean (yes: ORG) is never a label.
    return (isinstance(value, str) and bool(value.strip())) or (
        isinstance(value, int) and not isinstance(value, bool)
    )


class _Aligner:
    """Fits a record's spans to this project's tokens, as ``options.align`` says."""

    def __init__(self, text: str, *, options: ReadOptions) -> None:
        self.text = text
        self.mode = options.align
        bounds = token_bounds(text)
        self.starts = {start for start, _ in bounds}
        self.ends = {end for _, end in bounds}
        self._doc: Doc | None = None

    def align(self, found: FileSpan, *, label: str, layer: Layer) -> tuple[Span, str | None]:
        """The span on token boundaries, and what changed (None: nothing)."""
        text, start, end = self.text, found.start_char, found.end_char
        where = f"{_KIND[layer]} span {start}-{end} {label}"
        if not 0 <= start < end <= len(text):
            raise AnnotationProblem(
                f"{where} is out of range (text has {len(text)} characters)", line=found.line
            )
        if start in self.starts and end in self.ends:
            return Span(start, end, label), None
        quoted = text[start:end]
        if self.mode == "strict":
            raise AnnotationProblem(
                f"{where} ({quoted!r}) is not on token boundaries; {ALIGN_HINT}", line=found.line
            )
        # A space or line break at either end is an annotator's slip, never part of a name.
        inner_start = start + len(quoted) - len(quoted.lstrip())
        inner_end = end - (len(quoted) - len(quoted.rstrip()))
        if inner_start >= inner_end:
            raise AnnotationProblem(f"{where} ({quoted!r}) covers only spaces", line=found.line)
        if self._doc is None:
            self._doc = blank_english().make_doc(text)
        piece = self._doc.char_span(inner_start, inner_end, alignment_mode=self.mode)
        if piece is None or not piece.text.strip():
            raise AnnotationProblem(
                f"{where} ({quoted!r}) contracts to nothing: it covers no whole token; use "
                "--align expand, or correct the span",
                line=found.line,
            )
        span = Span(piece.start_char, piece.end_char, label)
        if span.start_char <= start and end <= span.end_char:
            verb = "expanded"
        elif start <= span.start_char and span.end_char <= end:
            verb = "contracted"
        else:
            verb = "aligned"
        return span, (
            f"{where} {quoted!r} {verb} to {span.start_char}-{span.end_char} {piece.text!r}"
        )
