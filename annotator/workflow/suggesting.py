"""Suggesting: run the suggester over the sentences that lack its suggestion and store them.

Each batch commits on its own, so an interrupted run resumes where it stopped; the pipeline
runs outside any transaction, so reviewers saving meanwhile never wait on it. A batch the
pipeline fails on is tried again sentence by sentence: a sentence that fails alone gets an empty
suggestion of that model version (so that no later run, of ``init``, ``serve`` or an import,
stumbles on it again; a new model version tries it afresh) and is reported, and the run goes on.

On a Ray or Dask cluster (``annotator.workflow.engines``) the workers only suggest: this process
reads each batch, sends its texts to a worker that holds the pipeline, and applies the gold
lexicon to and stores what comes back, batch by batch, as it does alone. Workers so need neither
the database nor a route to it, and a SQLite file serves a cluster as well as PostgreSQL does.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from annotator import config, repository
from annotator.db import make_engine, session_scope
from annotator.errors import AnnotatorError
from annotator.spans import Draft
from annotator.workflow import lexicon
from annotator.workflow.engines import EngineChoice, SuggesterSource, suggestion_pool

if TYPE_CHECKING:
    from annotator.nlp.lexicon import GoldLexicon
    from annotator.nlp.suggest import Suggester, Suggestion

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# A sentence the pipeline failed on: its id, and what the pipeline raised.
Failure = Callable[[int, str], None]
Failures = list[tuple[int, str]]


class SuggestionWorkerFailed(AnnotatorError, RuntimeError):
    """A worker process of a multi-process suggestion run failed; its batches stay stored."""


def count_pending(*, engine: Engine, suggester: Suggester, unannotated_only: bool = False) -> int:
    """How many sentences lack this suggester's suggestion (only those without an annotation
    or gold, with ``unannotated_only``)."""
    with session_scope(engine) as session:
        return repository.count_unsuggested(
            session=session,
            model_name=suggester.model_name,
            model_version=suggester.model_version,
            unannotated_only=unannotated_only,
        )


def suggest_pending(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int = config.DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    unannotated_only: bool = False,
    processes: int = 1,
    on_failure: Failure | None = None,
    gold_lexicon: bool = True,
    uncertainty: bool = False,
    on: EngineChoice | None = None,
    source: SuggesterSource | None = None,
) -> int:
    """Suggest for every sentence that lacks this model version's suggestion; return how many
    got one.

    With ``gold_lexicon`` what the suggester proposes is changed by the gold lexicon as it is
    when the run starts (``annotator.workflow.lexicon``), under the suggester's own version:
    the names reviewers marked are suggested, the suggestions they removed are not. A sentence
    that was decided already is left as the suggester has it: the lexicon holds its own
    reviewers' decisions, which another reviewer of it must not be shown.

    Each batch is committed on its own, so an interrupted run resumes where it stopped. A
    sentence the pipeline fails on is stored with an empty suggestion, passed to
    ``on_failure`` and left out of the count; the others are suggested as usual. With
    ``unannotated_only`` sentences that have an annotation or gold are left alone. With
    ``processes`` above 1, that many forked worker processes share the sentences (by id modulo
    ``processes``), each with the loaded pipeline and a connection of its own; where processes
    cannot fork, or the database lives in memory, one process does it all.

    With ``uncertainty`` (the callers pass it when ``ANNOTATOR_ROUTING=uncertain``) each suggestion
    stores how unsure the suggester was (``annotator.nlp.uncertainty``), and so does its
    sentence, for routing; it runs the NER's beam too, about doubling the time.

    ``on`` a Ray or Dask cluster, the cluster's workers suggest, each loading the pipeline that
    ``source`` names once (it must load as ``suggester``'s model version), and this process stores
    batch by batch as above (``processes`` is then the cluster's business).
    """
    with session_scope(engine) as session:
        total = repository.count_unsuggested(
            session=session,
            model_name=suggester.model_name,
            model_version=suggester.model_version,
            unannotated_only=unannotated_only,
        )
    if progress is not None:
        progress(0, total)
    learned = None
    if gold_lexicon and total > 0:
        with session_scope(engine) as session:
            learned = lexicon.gold_lexicon(session=session)
    if on is not None and on.distributed and total > 0:
        if source is None:
            raise ValueError("suggesting on a cluster needs the suggester's source")
        return _suggest_on_cluster(
            engine=engine,
            suggester=suggester,
            on=on,
            source=source,
            batch_size=batch_size,
            progress=progress,
            unannotated_only=unannotated_only,
            total=total,
            on_failure=on_failure,
            learned=learned,
            uncertainty=uncertainty,
        )
    if processes > 1 and total > 0 and _can_fork_workers(engine):
        return _suggest_in_workers(
            engine=engine,
            suggester=suggester,
            batch_size=batch_size,
            progress=progress,
            unannotated_only=unannotated_only,
            processes=processes,
            total=total,
            on_failure=on_failure,
            learned=learned,
            uncertainty=uncertainty,
        )
    done = failed = 0
    for stored, failures in _suggest_batches(
        engine=engine,
        suggester=suggester,
        batch_size=batch_size,
        unannotated_only=unannotated_only,
        learned=learned,
        uncertainty=uncertainty,
    ):
        done += stored
        failed += _report(failures, on_failure)
        if progress is not None:
            progress(done, max(total, done))
    return done - failed


def _report(failures: Failures, on_failure: Failure | None) -> int:
    if on_failure is not None:
        for sentence_id, reason in failures:
            on_failure(sentence_id, reason)
    return len(failures)


def _suggest_batches(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int,
    unannotated_only: bool,
    stripe: tuple[int, int] | None = None,
    learned: GoldLexicon | None = None,
    uncertainty: bool = False,
) -> Iterator[tuple[int, Failures]]:
    """Suggest and store batch after batch (of one stripe of the ids), changed by the
    ``learned`` lexicon; yield each batch's size and the sentences of it that the pipeline
    failed on."""
    for batch in _pending_batches(
        engine=engine,
        suggester=suggester,
        batch_size=batch_size,
        unannotated_only=unannotated_only,
        stripe=stripe,
    ):
        # The pipeline runs outside any transaction: no read snapshot goes stale while it
        # works, and no lock is held.
        suggested = _suggestions_for(
            batch, suggester=suggester, batch_size=batch_size, uncertainty=uncertainty
        )
        yield _store_batch(
            engine=engine, suggester=suggester, batch=batch, suggested=suggested, learned=learned
        )


Batch = list[tuple[int, str]]
# A batch's suggestions in order, the sentences the pipeline failed on, the uncertainty figures.
Suggested = tuple[list[Draft], Failures, list[float | None]]


def _pending_batches(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int,
    unannotated_only: bool,
    stripe: tuple[int, int] | None = None,
) -> Iterator[Batch]:
    """The sentences (id, text) lacking the suggester's suggestion, batch after batch in id
    order, each read in its own short transaction."""
    after_id = 0
    while True:
        with session_scope(engine) as session:
            batch = repository.unsuggested_sentences(
                session=session,
                model_name=suggester.model_name,
                model_version=suggester.model_version,
                after_id=after_id,
                limit=batch_size * 8,
                stripe=stripe,
                unannotated_only=unannotated_only,
            )
        if not batch:
            return
        after_id = batch[-1][0]
        yield batch


def _store_batch(
    *,
    engine: Engine,
    suggester: Suggester,
    batch: Batch,
    suggested: Suggested,
    learned: GoldLexicon | None,
) -> tuple[int, Failures]:
    """Change a batch's suggestions by the ``learned`` lexicon and store them in one
    transaction; the batch's size and the sentences the pipeline failed on."""
    drafts, failures, figures = suggested
    if learned:
        with session_scope(engine) as session:
            drafts = lexicon.learned_drafts(
                session=session,
                lexicon=learned,
                batch=batch,
                drafts=drafts,
                scheme=suggester.scheme,
            )
    rows = [
        {
            "sentence_id": sentence_id,
            "model_name": suggester.model_name,
            "model_version": suggester.model_version,
            **draft.rows(),
            "uncertainty": figure,
        }
        for (sentence_id, _), draft, figure in zip(batch, drafts, figures, strict=True)
    ]
    with session_scope(engine) as session:
        repository.insert_suggestions(session=session, rows=rows)
        repository.set_uncertainties(
            session=session,
            figures=[
                (sentence_id, figure)
                for (sentence_id, _), figure in zip(batch, figures, strict=True)
                if figure is not None
            ],
        )
    return len(batch), failures


def _suggest_on_cluster(
    *,
    engine: Engine,
    suggester: Suggester,
    on: EngineChoice,
    source: SuggesterSource,
    batch_size: int,
    progress: Progress | None,
    unannotated_only: bool,
    total: int,
    on_failure: Failure | None,
    learned: GoldLexicon | None,
    uncertainty: bool,
) -> int:
    """Workers of a Ray or Dask cluster suggest, this process stores each batch as it comes."""
    done = failed = 0
    batches = _pending_batches(
        engine=engine,
        suggester=suggester,
        batch_size=batch_size,
        unannotated_only=unannotated_only,
    )
    payloads = ((batch, batch_size, uncertainty) for batch in batches)
    with suggestion_pool(on, source) as pool:
        for (batch, _, _), suggested in pool.map(suggest_batch, payloads):
            stored, failures = _store_batch(
                engine=engine,
                suggester=suggester,
                batch=batch,
                suggested=suggested,
                learned=learned,
            )
            done += stored
            failed += _report(failures, on_failure)
            if progress is not None:
                progress(done, max(total, done))
    return done - failed


def suggest_batch(suggester: Suggester, payload: tuple[Batch, int, bool]) -> Suggested:
    """A cluster worker's job: one batch's suggestions (``_suggestions_for``)."""
    batch, batch_size, uncertainty = payload
    return _suggestions_for(
        batch, suggester=suggester, batch_size=batch_size, uncertainty=uncertainty
    )


def _suggestions_for(
    batch: Batch, *, suggester: Suggester, batch_size: int, uncertainty: bool
) -> Suggested:
    """The suggestion of every sentence of a batch, in order (an empty one where the pipeline
    fails), the sentences it failed on, and (with ``uncertainty``) each one's figure."""
    drafts: list[Draft] = []
    figures: list[float | None] = []
    # Any error: the pipeline is a trained model with components of its own, and whatever it
    # raises concerns the texts it was given, never the run (the database is not touched here).
    try:
        if uncertainty:
            from annotator.nlp.uncertainty import sentence_uncertainty

            texts = [text for _, text in batch]
            for doc in suggester.nlp.pipe(texts, batch_size=batch_size):
                drafts.append(draft_of(suggester.suggestion_for(doc)))
                figures.append(sentence_uncertainty(suggester.nlp, doc))
        else:
            for suggestion in suggester.suggest([text for _, text in batch], batch_size=batch_size):
                drafts.append(draft_of(suggestion))
                figures.append(None)
    except Exception as error:
        log.warning(
            "the suggester failed on a batch of %d sentences (%s: %s); trying them one by one",
            len(batch) - len(drafts),
            type(error).__name__,
            error,
        )
    failures: Failures = []
    # The suggestions before the one that failed came out whole; the rest is tried alone.
    for sentence_id, text in batch[len(drafts) :]:
        try:
            suggestion = suggester.suggest_one(text)
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            log.warning("no suggestion for sentence %d: %s", sentence_id, reason)
            failures.append((sentence_id, reason))
            drafts.append(Draft())
            figures.append(None)
        else:
            drafts.append(draft_of(suggestion))
            figures.append(None)
    return drafts, failures, figures


def draft_of(suggestion: Suggestion) -> Draft:
    """The draft a suggestion stores: its spans, categories and event arguments."""
    return Draft(
        entities=suggestion.entities,
        events=suggestion.events,
        categories=suggestion.categories,
        arguments=suggestion.arguments,
    ).without_dangling()


def _can_fork_workers(engine: Engine) -> bool:
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    return not in_memory


def _suggest_in_workers(
    *,
    engine: Engine,
    suggester: Suggester,
    batch_size: int,
    progress: Progress | None,
    unannotated_only: bool,
    processes: int,
    total: int,
    on_failure: Failure | None,
    learned: GoldLexicon | None,
    uncertainty: bool = False,
) -> int:
    context = multiprocessing.get_context("fork")
    reports: multiprocessing.Queue[tuple[int, Failures] | str | None] = context.Queue()
    url = engine.url.render_as_string(hide_password=False)
    # No pooled connection may be shared across the fork: the workers open their own.
    engine.dispose()
    workers = [
        context.Process(
            target=_suggest_worker,
            args=(
                url,
                suggester,
                batch_size,
                unannotated_only,
                (index, processes),
                reports,
                learned,
                uncertainty,
            ),
            daemon=True,
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    done, failed, running, failures = 0, 0, len(workers), []
    try:
        while running:
            try:
                item = reports.get(timeout=1.0)
            except queue.Empty:
                if any(worker.is_alive() for worker in workers):
                    continue
                failures.append("a worker process ended without reporting")
                break
            if item is None:
                running -= 1
            elif isinstance(item, str):
                failures.append(item)
            else:
                stored, unsuggested = item
                done += stored
                failed += _report(unsuggested, on_failure)
                if progress is not None:
                    progress(done, max(total, done))
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    if failures:
        raise SuggestionWorkerFailed(f"suggestion worker failed: {failures[0]}")
    return done - failed


def _suggest_worker(
    url: str,
    suggester: Suggester,
    batch_size: int,
    unannotated_only: bool,
    stripe: tuple[int, int],
    reports: multiprocessing.Queue[tuple[int, Failures] | str | None],
    learned: GoldLexicon | None = None,
    uncertainty: bool = False,
) -> None:
    """One worker process: its stripe of the sentences, through its own engine."""
    engine = make_engine(url)
    try:
        for batch in _suggest_batches(
            engine=engine,
            suggester=suggester,
            batch_size=batch_size,
            unannotated_only=unannotated_only,
            stripe=stripe,
            learned=learned,
            uncertainty=uncertainty,
        ):
            reports.put(batch)
    except Exception as error:  # reported to the parent, which raises it
        log.exception("suggestion worker %s failed", stripe)
        reports.put(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()
        reports.put(None)
