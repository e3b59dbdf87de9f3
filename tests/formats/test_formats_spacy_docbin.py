"""spaCy DocBins: what a Doc holds, the split by report, and ``spacy debug data`` on the files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from spacy.tokens import Doc, DocBin

from annotator import workflow
from annotator.config import DEFAULT_LABELS, Settings
from annotator.db import make_engine, session_scope
from annotator.formats import Record, RecordAnnotation, read_records, spacy_docbin
from annotator.formats.spacy_docbin import split_reports
from annotator.labels import LabelScheme, load_scheme
from annotator.spans import Span
from annotator.tokens import blank_english
from annotator.workflow import GoldPolicy

Reader = Callable[..., tuple[list[Record], list[Any]]]


def docs_in(path: Path) -> list[Doc]:
    return list(DocBin().from_disk(path).get_docs(blank_english().vocab))


def test_docs_hold_entities_event_spans_and_every_category(
    gold_db: str, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    cli("export", "--format", "spacy", "--output", out, "--db", gold_db, "--spans-key", "triggers")

    docs = {doc.text: doc for name in ("train", "dev") for doc in docs_in(out / f"{name}.spacy")}

    assert len(docs) == 5
    doc = docs["Junta troops shelled Moebye  on Monday, killing 3 civilians."]
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Junta troops", "ARMED_GROUP"),
        ("Moebye", "GPE"),
        ("Monday", "DATE"),
        ("3", "CARDINAL"),
    ]
    assert list(doc.spans) == ["triggers"]
    assert sorted((s.text, s.label_) for s in doc.spans["triggers"]) == [
        ("killing", "CASUALTIES"),
        ("shelled", "ATTACK_ON_CIVILIANS"),
        ("shelled", "REMOTE_VIOLENCE"),
    ]
    categories = load_scheme(DEFAULT_LABELS).names("categories")
    assert set(doc.cats) == set(categories)
    assert {name for name, score in doc.cats.items() if score == 1.0} == {
        "EXPLOSIONS_REMOTE_VIOLENCE",
        "VIOLENCE_AGAINST_CIVILIANS",
    }
    assert set(docs["Nothing of note happened there today."].cats.values()) == {0.0}


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    cli("export", "--format", "spacy", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out / "train.spacy", out / "dev.spacy")

    assert gold_of(copy) == gold_of(gold_db)


def test_the_split_is_seeded_and_never_empty_on_either_side() -> None:
    keys = [f"report-{n}" for n in range(10)]

    dev = split_reports(keys, dev_share=0.2, seed=7)

    assert len(dev) == 2 and dev <= set(keys)
    assert split_reports(reversed(keys), dev_share=0.2, seed=7) == dev
    assert len(split_reports(keys[:2], dev_share=0.01, seed=0)) == 1
    assert len(split_reports(keys[:2], dev_share=0.9, seed=0)) == 1
    assert split_reports(keys, dev_share=0.0, seed=0) == frozenset()


@pytest.fixture
def reports_db(
    tmp_path: Path, new_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """Six reports of three sentences each, every sentence accepted by one reviewer."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")  # that one accept is the gold
    url = new_db("reports")
    paths = []
    for number in range(6):
        path = tmp_path / f"report-{number}.txt"
        path.write_text(
            f"Clashes erupted in Lashio {number}. {number} people died. Report {number} ends.",
            encoding="utf-8",
        )
        paths.append(path)
    scheme = load_scheme(DEFAULT_LABELS)
    engine = make_engine(url)
    from annotator.db import migrate

    migrate(engine)
    with session_scope(engine) as session:
        summary = workflow.import_records(
            session=session,
            records=read_records(paths, scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    with session_scope(engine) as session:
        from annotator import repository

        reviewer = repository.ensure_reviewer(session=session, name="alice")
        assert reviewer.id is not None
        for report_id in range(1, summary.reports + 1):
            for sentence_id in repository.sentence_ids_of_report(
                session=session, report_id=report_id
            ):
                workflow.save_decision(
                    session=session,
                    sentence_id=sentence_id,
                    reviewer_id=reviewer.id,
                    status="accept",
                    draft=workflow.Draft(categories=("BATTLES",)),
                    scheme=scheme,
                    policy=GoldPolicy.of(Settings.from_env()),
                )
    engine.dispose()
    return url


def test_a_report_never_straddles_train_and_dev(reports_db: str, cli: Any, tmp_path: Path) -> None:
    for seed in range(4):
        out = tmp_path / f"seed-{seed}"
        cli(
            "export", "--format", "spacy", "--output", out, "--db", reports_db,
            "--dev-share", "0.34", "--seed", seed,
        )  # fmt: skip
        train = {doc.text for doc in docs_in(out / "train.spacy")}
        dev = {doc.text for doc in docs_in(out / "dev.spacy")}

        def reports(texts: set[str]) -> set[str]:
            return {next(word for word in text.split() if word[0].isdigit()) for text in texts}

        assert len(train) + len(dev) == 18
        assert len(dev) == 6  # two whole reports of three sentences
        assert reports(train).isdisjoint(reports(dev))
    again = tmp_path / "again"
    cli("export", "--format", "spacy", "--output", again, "--db", reports_db, "--dev-share", "0.34",
        "--seed", "3")  # fmt: skip
    assert (again / "dev.spacy").read_bytes() == (tmp_path / "seed-3" / "dev.spacy").read_bytes()


def test_an_export_that_fails_on_its_second_file_leaves_the_old_one_whole(
    reports_db: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "corpus"
    cli("export", "--format", "spacy", "--output", out, "--db", reports_db, "--dev-share", "0.34")
    old = {name: (out / name).read_bytes() for name in ("train.spacy", "dev.spacy")}
    written: list[str] = []
    replacing_file = spacy_docbin.replacing_file

    @contextmanager
    def full_disk_on_the_second(path: Path) -> Iterator[Path]:
        written.append(Path(path).name)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        with replacing_file(path) as temporary:
            yield temporary

    monkeypatch.setattr(spacy_docbin, "replacing_file", full_disk_on_the_second)
    result = cli(
        "export", "--format", "spacy", "--output", out, "--db", reports_db,
        "--dev-share", "0.34", "--seed", "1", code=1,
    )  # fmt: skip

    assert written == ["train.spacy", "dev.spacy"]  # the first file was written, somewhere
    assert "No space left on device" in result.output
    # The old train and dev, as they were: never a new train beside an old dev.
    assert {name: (out / name).read_bytes() for name in old} == old
    assert sorted(p.name for p in out.iterdir()) == ["dev.spacy", "train.spacy"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_a_folder_export_refuses_a_folder_holding_other_files(
    reports_db: str, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "config.cfg").write_text("[paths]\n", encoding="utf-8")
    result = cli("export", "--format", "spacy", "--output", out, "--db", reports_db, code=1)
    assert "config.cfg" in result.output
    assert [p.name for p in out.iterdir()] == ["config.cfg"]  # nothing replaced, nothing added


def test_a_reviewer_export_takes_only_their_accepts(
    reviewer_db: str, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "bob"
    cli("export", "--format", "spacy", "--reviewer", "bob", "--output", out, "--db", reviewer_db)

    texts = [doc.text for name in ("train", "dev") for doc in docs_in(out / f"{name}.spacy")]

    assert len(texts) == 2  # bob rejected his third sentence


def test_write_then_read_gives_the_same_annotation(scheme: LabelScheme, tmp_path: Path) -> None:
    from annotator.formats import spacy_docbin

    text = "Junta troops shelled Moebye on Monday."
    annotation = RecordAnnotation(
        entities=(Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE")),
        events=(Span(13, 20, "ATTACK"), Span(13, 20, "SHELLING")),
        categories=("BATTLES",),
        annotator=None,
        status="accept",
    )
    record = Record(text=text, source="x", line=1, meta={}, split=False, annotation=annotation)
    spacy_docbin.write([record], tmp_path, categories=scheme.names("categories"), dev_reports=())

    (read,) = list(spacy_docbin.read(tmp_path / "train.spacy", "train.spacy", scheme))

    assert isinstance(read, Record) and read.text == text and read.annotation == annotation


def test_a_span_with_an_unknown_label_is_named_by_its_doc(read_all: Reader, tmp_path: Path) -> None:
    nlp = blank_english()
    good, bad = nlp.make_doc("Fighting in Lashio."), nlp.make_doc("Fighting in Bago.")
    good.ents = [good.char_span(12, 18, label="GPE")]
    bad.ents = [bad.char_span(12, 16, label="TOWN")]
    path = tmp_path / "x.spacy"
    DocBin(docs=[good, bad]).to_disk(path)

    records, errors = read_all([path])

    assert len(records) == 1
    assert [(error.line, "unknown entity label 'TOWN'" in error.reason) for error in errors] == [
        (2, True)
    ]


@pytest.mark.slow
def test_spacy_debug_data_finds_no_errors(
    cli: Any, new_db: Callable[[str], str], gold_tasks: list[dict[str, Any]], tmp_path: Path
) -> None:
    # debug data calls fewer than 100 training docs an error, so the gold is repeated with
    # a distinct tail on each copy (spans keep their offsets).
    tasks = [
        {**task, "text": f"{task['text']} Ref {copy}."} for copy in range(30) for task in gold_tasks
    ]
    source = tmp_path / "gold.jsonl"
    source.write_text("".join(json.dumps(task) + "\n" for task in tasks), encoding="utf-8")
    url = new_db("large")
    cli("import", "--gold", "--no-suggest", "--db", url, source)
    out = tmp_path / "corpus"
    cli("export", "--format", "spacy", "--output", out, "--db", url, "--dev-share", "0.2")
    config = tmp_path / "config.cfg"
    subprocess.run(
        [sys.executable, "-m", "spacy", "init", "config", str(config), "--lang", "en",
         "--pipeline", "ner,spancat,textcat_multilabel"],
        check=True, capture_output=True,
    )  # fmt: skip
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('spans_key = "sc"', 'spans_key = "events"').replace(
            "spans_sc_", "spans_events_"
        ),
        encoding="utf-8",
    )

    result = subprocess.run(
        [sys.executable, "-m", "spacy", "debug", "data", str(config),
         "--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy")],
        capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "✘" not in result.stdout, result.stdout


# --- a peer's DocBin through the import (issue 11) -------------------------------------------


def test_a_docbin_of_another_tokenisation_imports_aligned_through_the_label_map(
    cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    # Tokens as another tokenizer cut them (spaCy v2 split the unit's number off): 'LIB' is not
    # a whole token of this project, 'LIB538' is.
    words = ["Troops", "of", "LIB", "538", "shelled", "Mrauk", "-U", "town", "."]
    spaces = [True, True, False, True, True, False, True, False, False]
    doc = Doc(blank_english().vocab, words=words, spaces=spaces)
    doc.ents = [doc.char_span(10, 13, label="Military"), doc.char_span(25, 32, label="City")]
    doc.spans["sc"] = [doc.char_span(17, 24, label="Shelling")]
    doc.cats = {"Explosions": 1.0, "Battles": 0.0}
    path = tmp_path / "peer.spacy"
    DocBin(docs=[doc], store_user_data=True).to_disk(path)
    label_map = tmp_path / "map.yml"
    label_map.write_text(
        "Military: ARMED_GROUP\nCity: GPE\nShelling: REMOTE_VIOLENCE\n"
        "Explosions: EXPLOSIONS_REMOTE_VIOLENCE\nBattles: BATTLES\n",
        encoding="utf-8",
    )
    url = new_db("peer")

    refused = cli(
        "import", "--gold", "--no-suggest", "--label-map", label_map, "--db", url, path, code=1
    )
    result = cli(
        "import",
        "--gold",
        "--no-suggest",
        "--label-map",
        label_map,
        "--align",
        "expand",
        "--db",
        url,
        path,
    )
    out = tmp_path / "corpus"
    cli("export", "--format", "spacy", "--output", out, "--db", url)
    (exported,) = [doc for name in ("train", "dev") for doc in docs_in(out / f"{name}.spacy")]

    assert f"{path}:1: entity span 10-13 ARMED_GROUP ('LIB')" in refused.stderr
    assert "--align expand or --align contract" in refused.stderr
    assert "entity span 10-13 ARMED_GROUP 'LIB' expanded to 10-16 'LIB538'" in result.stdout
    assert "1 span(s) aligned to token boundaries:" in result.stdout
    assert [(ent.text, ent.label_) for ent in exported.ents] == [
        ("LIB538", "ARMED_GROUP"),
        ("Mrauk-U", "GPE"),
    ]
    assert [(span.text, span.label_) for span in exported.spans["events"]] == [
        ("shelled", "REMOTE_VIOLENCE")
    ]
    assert exported.cats["EXPLOSIONS_REMOTE_VIOLENCE"] == 1.0
    assert exported.cats["BATTLES"] == 0.0


# --- event arguments (issue 12) ----------------------------------------------------------------

CLASH = "KIA fighters and junta troops clashed near Lashio."


def test_arguments_are_kept_in_the_docs_user_data_and_read_back(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.spans import Argument

    kia, junta, lashio = (
        Span(0, 12, "ARMED_GROUP"),
        Span(17, 29, "ARMED_GROUP"),
        Span(43, 49, "GPE"),
    )
    clashed = Span(30, 37, "ARMED_CLASH")
    arguments = (
        Argument(clashed, "ACTOR", kia),
        Argument(clashed, "ACTOR", junta),
        Argument(clashed, "LOCATION", lashio),
    )
    record = Record(
        text=CLASH,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(kia, junta, lashio),
            events=(clashed,),
            categories=("BATTLES",),
            annotator=None,
            status="accept",
            arguments=arguments,
        ),
    )

    spacy_docbin.write(
        [record], tmp_path, categories=conflict.names("categories"), dev_reports=frozenset()
    )
    (doc,) = docs_in(tmp_path / spacy_docbin.TRAIN)
    (back,) = list(read_records([tmp_path / spacy_docbin.TRAIN], scheme=conflict))

    # Plain JSON, as Argument.to_dict writes it: any script reads it without this package.
    assert json.loads(json.dumps(list(doc.user_data["arguments"]))) == [
        {"event": {"start": 30, "end": 37, "label": "ARMED_CLASH"}, "role": "ACTOR", "start": 0,
         "end": 12, "label": "ARMED_GROUP"},
        {"event": {"start": 30, "end": 37, "label": "ARMED_CLASH"}, "role": "ACTOR", "start": 17,
         "end": 29, "label": "ARMED_GROUP"},
        {"event": {"start": 30, "end": 37, "label": "ARMED_CLASH"}, "role": "LOCATION",
         "start": 43, "end": 49, "label": "GPE"},
    ]  # fmt: skip
    assert back.annotation == record.annotation
