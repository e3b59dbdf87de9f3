"""The production paths the benchmark made faster keep their behaviour, on SQLite and PostgreSQL:
the chunked import, suggesting in two processes, the progress total counted only on change."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import repository, workflow
from annotator.bench import corpus
from annotator.bench.database import fill
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats.records import Record, RecordAnnotation
from annotator.models import Gold, Report, Sentence, Suggestion
from annotator.tokens import split_reports, split_sentences
from annotator.workflow import GoldPolicy, importing


def record(text: str, *, source: str = "report.txt", split: bool = True) -> Record:
    return Record(text=text, source=source, line=1, meta={"from": source}, split=split,
                  annotation=None)  # fmt: skip


def import_all(engine: Engine, scheme, records: list[Record], **options) -> workflow.ImportSummary:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return workflow.import_records(
            session=session,
            records=records,
            scheme=scheme,
            **options,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def stored_reports(engine: Engine) -> list[tuple[str, str, int, list[str]]]:
    with session_scope(engine) as session:
        reports = session.exec(select(Report).order_by(Report.id)).all()
        return [
            (
                report.source,
                report.text,
                report.n_sentences,
                [
                    s.text
                    for s in session.exec(
                        select(Sentence)
                        .where(Sentence.report_id == report.id)
                        .order_by(Sentence.position)
                    )
                ],
            )
            for report in reports
        ]


def test_an_import_in_chunks_stores_each_report_once_in_order(engine, scheme, monkeypatch):
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 3)
    texts = [report.text for report in corpus.reports(60, seed=4, sizes=(2, 6))]
    # Duplicates inside a chunk, across chunks, and of reports stored by an earlier import.
    records = [record(text, source=f"r{i}.txt") for i, text in enumerate(texts)]
    records.insert(2, record(texts[1], source="again-in-chunk.txt"))
    records.append(record(texts[0], source="again-later.txt"))
    import_all(engine, scheme, [record(texts[5], source="earlier.txt")])

    summary = import_all(engine, scheme, records)

    assert (summary.reports, summary.duplicates) == (len(texts) - 1, 3)
    assert summary.sentences == 60 - len(split_sentences(texts[5]))
    stored = stored_reports(engine)
    assert [source for source, *_ in stored] == ["earlier.txt"] + [
        f"r{i}.txt" for i in range(len(texts)) if i != 5
    ]
    for _, text, count, sentences in stored:
        bounds = split_sentences(text)
        assert count == len(bounds) and sentences == [text[s:e] for s, e in bounds]
    assert import_all(engine, scheme, records).duplicates == len(records)


def test_gold_imported_in_chunks_lands_on_its_own_sentence(engine, scheme, monkeypatch):
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 2)
    sentences = list(corpus.sentences(7, seed=2, categories=corpus.event_categories(scheme)))
    records = [
        Record(
            text=s.text, source="gold.jsonl", line=number, meta={}, split=False,
            annotation=RecordAnnotation(
                entities=s.entities, events=s.events, categories=s.categories, annotator=None,
                status="accept",
            ),
        )
        for number, s in enumerate(sentences, start=1)
    ]  # fmt: skip
    summary = import_all(engine, scheme, records, gold=True)
    assert (summary.reports, summary.sentences, summary.gold) == (7, 7, 7)
    with session_scope(engine) as session:
        rows = session.exec(select(Sentence, Gold).join(Gold, Gold.sentence_id == Sentence.id))
        stored = {sentence.text: gold for sentence, gold in rows}
    for s in sentences:
        assert stored[s.text].entities == [span.to_dict() for span in s.entities]


def test_reports_split_together_as_each_alone():
    texts = ["One. Two!\r\n\r\n  Three?  ", "", "   ", "No end", "A.\nB.\n\nC. D."]
    texts += [report.text for report in corpus.reports(200, seed=1)]
    assert split_reports(texts) == [split_sentences(text) for text in texts]
    assert split_sentences("One. Two.\n Three.") == [(0, 4), (5, 9), (11, 17)]


def test_suggesting_in_two_processes_stores_what_one_process_stores(
    engine, scheme, suggester, db_url, tmp_path
):
    from annotator.db import make_engine, migrate

    texts = [report.text for report in corpus.reports(40, seed=6)]
    import_all(engine, scheme, [record(text, source=f"{i}") for i, text in enumerate(texts)])
    seen: list[tuple[int, int]] = []
    stored = workflow.suggest_pending(
        engine=engine, suggester=suggester, batch_size=4, processes=2,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert stored == 40 and seen[0] == (0, 40) and seen[-1] == (40, 40)
    assert workflow.suggest_pending(engine=engine, suggester=suggester, processes=2) == 0

    single = make_engine(f"sqlite:///{tmp_path / 'single.db'}")
    migrate(single)
    import_all(single, scheme, [record(text, source=f"{i}") for i, text in enumerate(texts)])
    assert workflow.suggest_pending(engine=single, suggester=suggester, batch_size=4) == 40

    def suggestions(of: Engine) -> dict[str, tuple[object, ...]]:
        with session_scope(of) as session:
            rows = session.exec(
                select(Sentence.text, Suggestion).join(
                    Suggestion, Suggestion.sentence_id == Sentence.id
                )
            ).all()
        return {text: (s.entities, s.events, s.categories) for text, s in rows}

    two, one = suggestions(engine), suggestions(single)
    assert len(two) == 40 and two == one
    single.dispose()


def test_the_progress_total_follows_imports_and_is_not_recounted_meanwhile(engine, scheme):
    counts: list[str] = []

    def watch(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "count(" in statement.lower() and "from sentence" in statement.lower():
            counts.append(statement)

    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        import_all(engine, scheme, [record("One. Two.", source="a")])
        with session_scope(engine) as session:
            reviewer = repository.ensure_reviewer(session=session, name="ana").id
            assert workflow.progress_of(session=session, reviewer_id=reviewer) == (0, 2)
            assert workflow.progress_of(session=session, reviewer_id=reviewer) == (0, 2)
        assert len(counts) == 1
        import_all(engine, scheme, [record("Three. Four. Five.", source="b")])
        with session_scope(engine) as session:
            assert workflow.progress_of(session=session, reviewer_id=reviewer) == (0, 5)
        assert len(counts) == 2
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


def test_a_benchmark_database_with_gold_serves_its_sentences_to_nobody(engine, scheme):
    """Generated gold goes through the one gold writer, which closes its sentences to routing,
    as ``annotator import --gold`` does."""
    fill(engine, count=30, seed=0, categories=corpus.event_categories(scheme), gold=True)
    with session_scope(engine) as session:
        sentences = session.exec(select(Sentence)).all()
        reviewer = repository.ensure_reviewer(session=session, name="ana")
        assert reviewer.id is not None
        served = workflow.next_sentence_id(session=session, reviewer_id=reviewer.id)
    assert len(sentences) == 30 and all(sentence.closed for sentence in sentences)
    assert served is None
