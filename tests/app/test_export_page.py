"""The export page: the same bytes as ``annotator export``, offered for download to adjudicators
and admins only."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from typer.testing import CliRunner

from annotator.cli import app
from annotator.ui.export import FORMATS

PASSWORD = "correct horse battery"
TEXTS = (
    "Police arrested Ko Aung in Yangon.",
    "Troops clashed with the Arakan Army near Sittwe.",
    "Protesters marched in Mandalay.",
)


def span(text: str, words: str, label: str) -> dict[str, object]:
    start = text.index(words)
    return {"start": start, "end": start + len(words), "label": label}


def record(text: str, *, annotator: str | None = None, answer: str = "accept") -> dict[str, object]:
    """An annotated record of one of TEXTS: the entities, triggers and category it carries."""
    spans, events, accept = {
        TEXTS[0]: (
            [span(TEXTS[0], "Ko Aung", "PERSON"), span(TEXTS[0], "Yangon", "GPE")],
            [span(TEXTS[0], "arrested", "ARREST")],
            ["STRATEGIC_DEVELOPMENTS"],
        ),
        TEXTS[1]: (
            [span(TEXTS[1], "Arakan Army", "ARMED_GROUP"), span(TEXTS[1], "Sittwe", "GPE")],
            [span(TEXTS[1], "clashed", "ARMED_CLASH")],
            ["BATTLES"],
        ),
        TEXTS[2]: (
            [span(TEXTS[2], "Mandalay", "GPE")],
            [span(TEXTS[2], "marched", "PROTEST")],
            ["PROTESTS"],
        ),
    }[text]
    line: dict[str, object] = {
        "text": text,
        "spans": spans,
        "events": events,
        "accept": accept,
        "answer": answer,
    }
    if annotator is not None:
        line["_annotator_id"] = annotator
    return line


def cli(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture
def database(app_database, scheme, tmp_path):
    """Three one-sentence reports: gold for all, annotations by ana (3) and ben (2)."""
    app_database.add_accounts(
        {"ana": "annotator", "judy": "adjudicator", "root": "admin"}, password=PASSWORD
    )
    annotations = [record(text, annotator="ana") for text in TEXTS]
    annotations += [record(TEXTS[0], annotator="ben"), record(TEXTS[1], annotator="ben")]
    annotations[-1]["answer"] = "reject"
    annotations[-2]["spans"] = annotations[-2]["spans"][:1]  # ben missed Yangon
    for name, lines in (
        ("annotations.jsonl", annotations),
        ("gold.jsonl", [record(text) for text in TEXTS]),
    ):
        path = tmp_path / name
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        app_database.import_file(path, scheme=scheme, gold=name == "gold.jsonl")
    return app_database.url


@pytest.fixture
def media(monkeypatch) -> list[MemoryMediaFileStorage]:
    """The media stores AppTest creates, kept so that a test can read what a download holds."""
    stores: list[MemoryMediaFileStorage] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Kept)
    return stores


@pytest.fixture
def open_page(run_page):
    """The export page, logged in as ``name``."""

    def open_export(name: str) -> AppTest:
        return run_page("pages/export.py", name)

    return open_export


def prepare(at: AppTest, *, format: str, whose: str = "The gold", reviewer: str | None = None):
    at.selectbox(key="export_format").set_value(format).run()
    at.radio(key="export_whose").set_value(whose).run()
    if reviewer is not None:
        at.selectbox(key="export_reviewer").set_value(reviewer).run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def downloaded(at: AppTest, media: list[MemoryMediaFileStorage]) -> bytes:
    (button,) = at.get("download_button")
    file_id = button.proto.url.rsplit("/", 1)[1]
    return media[-1].get_file(file_id).content


def cli_export(url: str, output: Path, *args: str) -> dict[str, bytes]:
    """What ``annotator export`` writes, as {relative path: bytes} (one entry for a file)."""
    cli("export", "--db", url, "--output", str(output), *args)
    if output.is_file():
        return {output.name: output.read_bytes()}
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()
    }


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_page_offers_every_format_of_the_command(database, open_page):
    at = open_page("judy")
    assert at.selectbox(key="export_format").options == [f.title for f in FORMATS.values()]
    assert list(FORMATS) == ["jsonl", "spacy", "doccano", "conll", "brat", "csv", "label-studio"]


@pytest.mark.parametrize("format", list(FORMATS))
def test_the_gold_download_is_what_the_command_writes(database, media, tmp_path, format, open_page):
    at = prepare(open_page("judy"), format=format)
    data = downloaded(at, media)
    expected = cli_export(database, tmp_path / f"cli-{format}", "--format", format)
    if FORMATS[format].folder:
        assert members(data) == expected
    else:
        assert [data] == list(expected.values())
    assert data, "an export of three gold sentences is not empty"


@pytest.mark.parametrize(
    ("format", "whose", "reviewer", "args"),
    [
        ("jsonl", "One reviewer", "ben", ("--reviewer", "ben")),
        ("brat", "One reviewer", "ana", ("--reviewer", "ana")),
        ("brat", "Every reviewer", None, ("--all-reviewers",)),
        ("csv", "Every reviewer", None, ("--all-reviewers",)),
    ],
)
def test_a_reviewers_download_is_what_the_command_writes(
    database, media, tmp_path, format, whose, reviewer, args, open_page
):
    at = prepare(open_page("root"), format=format, whose=whose, reviewer=reviewer)
    data = downloaded(at, media)
    expected = cli_export(database, tmp_path / "cli-export", "--format", format, *args)
    assert (members(data) if FORMATS[format].folder else {"cli-export": data}) == expected


def test_one_reviewers_jsonl_holds_only_their_annotations(database, media, open_page):
    at = prepare(open_page("judy"), format="jsonl", whose="One reviewer", reviewer="ben")
    lines = [json.loads(line) for line in downloaded(at, media).decode().splitlines()]
    assert [(line["text"], line["answer"]) for line in lines] == [
        (TEXTS[0], "accept"),
        (TEXTS[1], "reject"),
    ]
    assert {line["_annotator_id"] for line in lines} == {"ben"}


def test_the_spacy_zip_holds_docbins_that_load(database, media, open_page):
    at = open_page("judy")
    at.selectbox(key="export_format").set_value("spacy").run()
    at.number_input(key="export_dev_share").set_value(0.35).run()
    at.button(key="export_prepare").click().run()
    assert not at.exception and not at.error
    (button,) = at.get("download_button")
    assert button.proto.label == "Download gold-spacy.zip"
    files = members(downloaded(at, media))
    assert sorted(files) == ["dev.spacy", "train.spacy"]
    vocab = spacy.blank("en").vocab
    docs = {name: list(DocBin().from_bytes(data).get_docs(vocab)) for name, data in files.items()}
    assert (len(docs["train.spacy"]), len(docs["dev.spacy"])) == (2, 1)
    by_text = {doc.text: doc for split in docs.values() for doc in split}
    assert sorted(by_text) == sorted(TEXTS)
    arrest = by_text[TEXTS[0]]
    assert [(e.text, e.label_) for e in arrest.ents] == [("Ko Aung", "PERSON"), ("Yangon", "GPE")]
    assert [(s.text, s.label_) for s in arrest.spans["events"]] == [("arrested", "ARREST")]
    assert arrest.cats["STRATEGIC_DEVELOPMENTS"] == 1.0 and arrest.cats["BATTLES"] == 0.0


def test_the_page_shows_the_gold_and_each_reviewers_count(database, open_page):
    at = open_page("judy")
    assert not at.exception
    assert [m.value for m in at.metric] == ["3"]
    table = at.dataframe[0].value
    assert dict(zip(table["reviewer"], table["annotations"], strict=True)) == {"ana": 3, "ben": 2}


def test_a_spacy_export_of_every_reviewer_is_refused_as_the_command_does(database, open_page):
    at = open_page("judy")
    at.selectbox(key="export_format").set_value("spacy").run()
    at.radio(key="export_whose").set_value("Every reviewer").run()
    assert [e.value for e in at.error] == [
        "A spaCy export takes the gold or one reviewer's annotations."
    ]
    assert not at.button and not at.get("download_button")


def test_an_annotator_gets_no_export(database, open_page):
    at = open_page("ana")
    assert not at.exception
    assert [e.value for e in at.error] == ["This page is not open to the annotator role."]
    assert not at.header and not at.selectbox and not at.button and not at.metric
