"""``annotator suggest``: add suggestions to the records of a JSONL file, no database.

Every record gets ``spans`` (``{start, end, label, text}``), ``events`` (the same, with ``args``:
``[{role, start, end, label, text}]``, the entity spans that play a role in the event) and
``accept`` (the categories).

The texts go through the suggester in batches of ``batch_size * 8``; on a Ray or Dask cluster
(``annotator.workflow.engines``) the caller passes ``suggest``, which hands each batch to a worker
(``suggest_texts`` is the worker's job) and gives the suggestions back in order, so the output is
the same line for line.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.config import DEFAULT_BATCH_SIZE
from annotator.errors import AnnotatorError
from annotator.spans import Argument, Span

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester, Suggestion

# Batches of texts in, each batch's suggestions out, in order.
BatchSuggest = Callable[[Iterable[list[str]]], Iterator[list["Suggestion"]]]


class SuggestFileError(AnnotatorError, ValueError):
    """Records of the input that cannot be suggested for; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class UnreadableInput(AnnotatorError, OSError):
    """An input file that cannot be opened or read at all."""


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, problem or None) for every non-blank line."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, None, f"invalid UTF-8 at byte {error.start}"
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"invalid JSON ({error.msg} at column {error.colno})"
                continue
            if not isinstance(record, dict):
                yield number, None, "a record must be a JSON object"
            elif not isinstance(record.get("text"), str) or not record["text"].strip():
                yield number, None, "missing or non-string text"
            else:
                yield number, record, None


def _span_record(span: Span, text: str) -> dict[str, Any]:
    return {**span.to_dict(), "text": span.text_in(text)}


def _event_record(event: Span, arguments: tuple[Argument, ...], text: str) -> dict[str, Any]:
    """An event as ``annotator suggest`` writes it: the trigger with its ``args``."""
    args = [
        {"role": argument.role, **_span_record(argument.entity, text)}
        for argument in arguments
        if argument.event == event
    ]
    return {**_span_record(event, text), "args": args}


def check_input(source: Path) -> None:
    """Raise UnreadableInput, or SuggestFileError naming every record that cannot be suggested
    for; cheap next to suggesting, so a caller can check before it loads a pipeline."""
    try:
        problems = [f"{source}:{n}: {problem}" for n, _, problem in _records(source) if problem]
    except OSError as error:
        raise UnreadableInput(f"{source}: cannot be read ({error.strerror or error})") from error
    if problems:
        raise SuggestFileError(problems)


def suggest_file(
    source: Path,
    target: Path,
    *,
    suggester: Suggester | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    suggest: BatchSuggest | None = None,
) -> int:
    """Write every record of ``source`` to ``target`` with ``spans``, ``events`` and ``accept``,
    suggested by ``suggester`` (or by ``suggest``, a cluster's workers).

    The input is checked first; on any bad record nothing is written. Returns the record count.
    """
    if suggest is None:
        if suggester is None:
            raise ValueError("suggest_file needs a suggester or a suggest function")
        suggest = _suggest_here(suggester, batch_size)
    check_input(source)
    records = (record for _, record, _ in _records(source) if record is not None)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            pairs = ((record["text"], record) for record in records)
            for record, suggestion in _suggest_pairs(pairs, suggest, batch_size):
                text = record["text"]
                record["spans"] = [_span_record(span, text) for span in suggestion.entities]
                record["events"] = [
                    _event_record(span, suggestion.arguments, text) for span in suggestion.events
                ]
                record["accept"] = list(suggestion.categories)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _suggest_pairs(
    pairs: Iterator[tuple[str, dict[str, Any]]], suggest: BatchSuggest, batch_size: int
) -> Iterator[tuple[dict[str, Any], Suggestion]]:
    """Each record with its suggestion, in order, suggested ``batch_size * 8`` at a time."""
    batches: Iterator[list[tuple[str, dict[str, Any]]]] = _batches(pairs, batch_size * 8)
    held: list[list[dict[str, Any]]] = []

    def texts() -> Iterator[list[str]]:
        # The records wait here for their suggestions, which come back in the same order.
        for batch in batches:
            held.append([record for _, record in batch])
            yield [text for text, _ in batch]

    for suggestions in suggest(texts()):
        records = held.pop(0)
        yield from zip(records, suggestions, strict=True)


def _batches(
    pairs: Iterator[tuple[str, dict[str, Any]]], size: int
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    batch: list[tuple[str, dict[str, Any]]] = []
    for pair in pairs:
        batch.append(pair)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _suggest_here(suggester: Suggester, batch_size: int) -> BatchSuggest:
    """Batches suggested by the suggester in this process."""

    def suggest(batches: Iterable[list[str]]) -> Iterator[list[Suggestion]]:
        for texts in batches:
            yield list(suggester.suggest(texts, batch_size=batch_size))

    return suggest


def suggest_texts(suggester: Suggester, payload: tuple[list[str], int]) -> list[Suggestion]:
    """A cluster worker's job: the suggestions of a batch of texts, in order."""
    texts, batch_size = payload
    return list(suggester.suggest(texts, batch_size=batch_size))
