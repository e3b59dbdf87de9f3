"""The ``annotator`` command line: thin wrappers over the workflow, for what users script."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.engine import Engine
from typer.core import TyperGroup

from annotator import workflow
from annotator.bench.command import bench as bench_command
from annotator.config import (
    DEFAULT_DEV_SHARE,
    DEFAULT_LABELS,
    DEFAULT_MODEL,
    DEFAULT_MODELS_DIR,
    DEFAULT_SEEDS,
    PROJECT_ROOT,
    Settings,
)
from annotator.db import make_engine, migrate, session_scope
from annotator.errors import AnnotatorError
from annotator.formats import ImportFailed, InvalidRecord, Record, read_records, spacy_docbin
from annotator.formats.checks import read_label_map
from annotator.formats.records import ALIGNS, ReadOptions
from annotator.formats.registry import FORMATS
from annotator.labels import LabelScheme, load_scheme
from annotator.workflow import GoldPolicy, accounts, importing, suggesting
from annotator.workflow.engines import EngineChoice, SuggesterSource, check_engine

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` in one line on stderr and return the exit (code 1) to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def fail_listing(problems: Iterable[object], *, summary: str) -> typer.Exit:
    """Print each bad record on its own line (``FILE:LINE: reason``), then ``fail(summary)``."""
    for problem in problems:
        typer.echo(str(problem), err=True)
    return fail(summary)


class Commands(TyperGroup):
    """The command group, and the one handler of domain errors: an AnnotatorError that escapes
    any command (or subcommand) ends it with one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer types it with its private copy of Click
        """Run the chosen command; a domain error is the user's to fix, so no traceback."""
        try:
            return super().invoke(ctx)
        except AnnotatorError as error:
            raise fail(str(error)) from None


app = typer.Typer(
    cls=Commands,
    help="Conflict Annotator: import reports, suggest with spaCy, export the gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: the app's SQLite file, or ANNOTATOR_DATABASE_URL)."
    ),
]
LabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help=f"Label scheme file (default: {DEFAULT_LABELS.relative_to(PROJECT_ROOT)}, "
        "or ANNOTATOR_LABELS).",
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help=f"spaCy pipeline name or path (default: ANNOTATOR_MODEL or {DEFAULT_MODEL}).",
    ),
]


EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where to suggest: local (this machine), ray or dask (the cluster at --address, or "
        "a local one of one worker per core started for the run; default: ANNOTATOR_ENGINE or "
        "local).",
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="An existing cluster for --engine: Ray auto or ray://host:port, a Dask scheduler's "
        "tcp://host:port (default: ANNOTATOR_ENGINE_ADDRESS).",
    ),
]


def engine_settings(settings: Settings, engine: str | None, address: str | None) -> Settings:
    """The settings with --engine and --address, checked; an engine other than the configured
    one leaves the configured address out."""
    if engine is not None and engine != settings.engine and address is None:
        settings = dataclasses.replace(settings, engine_address=None)
    settings = settings.with_overrides(engine=engine, engine_address=address)
    # A wrong engine, a missing package or a cluster that does not answer fails before anything
    # is imported or loaded.
    check_engine(EngineChoice.of(settings))
    return settings


def settings_for(db: str | None, labels: Path | None = None, model: str | None = None) -> Settings:
    """The settings with the command line's overrides."""
    return Settings.from_env().with_overrides(database_url=db, labels_path=labels, model=model)


def open_database(settings: Settings) -> Engine:
    """An engine on a database at the newest schema."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def open_suggester(settings: Settings, scheme: LabelScheme) -> Suggester:
    """The configured pipeline plus rules, loaded once for the command."""
    from annotator.nlp.suggest import load_suggester

    return load_suggester(settings.model, scheme=scheme, patterns_dir=settings.patterns_dir)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Any]:
    """A progress bar on stderr (so that --json output on stdout stays clean)."""
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar


def suggesting_settings(settings: Settings, engine: Engine, model: str | None) -> Settings:
    """The settings to suggest with: --model, else the active model version, else the default."""
    from annotator.workflow import training

    # An import suggests like the app does, with the version an admin made active.
    if model is not None:
        return settings
    return settings.with_overrides(model=training.suggester_model(engine=engine, settings=settings))


def run_suggestions(settings: Settings, engine: Engine, scheme: LabelScheme) -> int:
    """Suggest for every sentence lacking the configured model's suggestion, with a progress bar;
    the sentences the pipeline failed on are said in one line (the command goes on)."""
    suggester = open_suggester(settings, scheme)
    pending = suggesting.count_pending(engine=engine, suggester=suggester)
    if not pending:
        return 0
    on = EngineChoice.of(settings)
    failures: list[tuple[int, str]] = []
    where = f" on {on.describe()}" if on.distributed else ""
    with progress_bar(f"Suggesting with {suggester.model_name}{where}", pending) as bar:
        state = {"shown": 0}

        def advance(done: int, _total: int) -> None:
            bar.update(done - state["shown"])
            state["shown"] = done

        suggested = workflow.suggest_pending(
            engine=engine,
            suggester=suggester,
            batch_size=settings.batch_size,
            progress=advance,
            on_failure=lambda sentence_id, reason: failures.append((sentence_id, reason)),
            uncertainty=settings.routing == "uncertain",
            on=on,
            source=SuggesterSource.of(settings, suggester=suggester),
        )
    if failures:
        sentence_id, reason = failures[0]
        typer.echo(
            f"{len(failures)} sentence(s) could not be suggested with {suggester.model_name} and "
            f"are left without suggestions (sentence {sentence_id}: {reason[:200]})"
        )
    return suggested


def import_with_progress(
    settings: Settings,
    engine: Engine,
    records: Iterable[Record],
    *,
    scheme: LabelScheme,
    gold: bool = False,
    force: bool = False,
) -> importing.ImportSummary:
    """Import records in short transactions, counting them on stderr as they are read; every
    bad record is listed (``FILE:LINE: reason``) and the command fails with nothing stored."""
    counter = {"records": 0}

    def count(_record: object) -> None:
        counter["records"] += 1
        if counter["records"] % 1000 == 0:
            typer.echo(f"\rread {counter['records']} records", err=True, nl=False)

    try:
        summary = importing.import_in_chunks(
            engine=engine,
            records=records,
            scheme=scheme,
            policy=GoldPolicy.of(settings),
            progress=count,
            gold=gold,
            force=force,
            limits=importing.ImportLimits.of(settings),
        )
    except ImportFailed as failed:
        raise fail_listing(
            failed.errors,
            summary=f"import aborted: {len(failed.errors)} bad record(s); nothing was stored",
        ) from None
    except (InvalidRecord, workflow.AnnotationError) as error:
        raise fail(f"import aborted: {error}; nothing was stored") from None
    finally:
        if counter["records"] >= 1000:
            typer.echo("", err=True)
    return summary


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=".txt, .csv (a text column, or spans), .jsonl (Prodigy or doccano), .json "
            "(Label Studio), .conll, .spacy files, or brat folders and .ann files."
        ),
    ],
    db: DbOption = None,
    labels: LabelsOption = None,
    model: ModelOption = None,
    suggest: Annotated[bool, typer.Option(help="Suggest for the new sentences right away.")] = True,
    gold: Annotated[
        bool,
        typer.Option(
            "--gold",
            help="The records' accepted annotations are gold (labelled and checked elsewhere); "
            "every record must carry one; rejected and ignored answers are kept as their "
            "reviewers' annotations, never gold.",
        ),
    ] = False,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Read every file as {', '.join(FORMATS)} (default: by suffix).",
        ),
    ] = None,
    keep_records: Annotated[
        bool,
        typer.Option(
            "--keep-records",
            help="Store each record (a JSONL line, a CSV row, a .txt file) as one sentence "
            "instead of splitting it (records with spans are never split).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Take the last of one reviewer's records that give one text different "
            "decisions (or, with --gold, different gold), and with --gold replace adjudicated "
            "gold that differs (without it they abort the import).",
        ),
    ] = False,
    label_map: Annotated[
        Path | None,
        typer.Option(
            "--label-map",
            help="A YAML or JSON file of the files' labels -> this scheme's (theirs -> ours): "
            "renames (Organization: ORG) and numeric ids (3: GPE), for spans and categories.",
        ),
    ] = None,
    align: Annotated[
        str,
        typer.Option(
            "--align",
            help="Spans off this project's token boundaries: strict refuses them, expand "
            "widens them to the tokens they touch, contract narrows them to the tokens they "
            "cover; each change is listed.",
        ),
    ] = "strict",
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column",
            help="The CSV column or JSONL key that holds the text (default: text), e.g. notes.",
        ),
    ] = None,
    engine_name: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Import reports; all or nothing: any bad record aborts with its line and reason."""
    if align not in ALIGNS:
        raise fail(f"--align must be one of {', '.join(ALIGNS)}, not {align!r}")
    settings = engine_settings(settings_for(db, labels, model), engine_name, address)
    scheme = load_scheme(settings.labels_path)
    options = ReadOptions(
        label_map=read_label_map(label_map, scheme=scheme) if label_map is not None else {},
        align=align,
        text_column=text_column,
    )
    engine = open_database(settings)
    records = read_records(
        paths,
        scheme=scheme,
        format=format,
        gold=gold,
        keep_records=keep_records,
        options=options,
    )
    summary = import_with_progress(settings, engine, records, scheme=scheme, gold=gold, force=force)
    typer.echo(
        f"imported {summary.reports} report(s), {summary.sentences} sentence(s), "
        f"{summary.annotations} annotation(s), {summary.gold} gold"
        + (f", {summary.suggestions} suggestion(s)" if summary.suggestions else "")
        + f"; {summary.duplicates} already stored"
    )
    for note in summary.notes():
        typer.echo(note)
    if suggest:
        settings = suggesting_settings(settings, engine, model)
        suggested = run_suggestions(settings, engine, scheme)
        typer.echo(f"suggested {suggested} sentence(s) with {settings.model}")


@app.command()
def suggest(
    input: Annotated[Path, typer.Option("--input", help="JSONL records with a text field.")],
    output: Annotated[
        Path, typer.Option("--output", help="Where to write the records with suggestions.")
    ],
    model: ModelOption = None,
    labels: LabelsOption = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL whose gold lexicon changes the suggestions (default: the app's "
            "database or ANNOTATOR_DATABASE_URL, when it exists; nothing is written to it).",
        ),
    ] = None,
    use_lexicon: Annotated[
        bool,
        typer.Option(
            "--lexicon/--no-lexicon",
            help="Apply the database's gold lexicon: the names reviewers marked are "
            "suggested, the suggestions they removed are not.",
        ),
    ] = True,
    engine_name: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Add suggested spans, events (each with its args) and accept to every record of a JSONL
    file, with the gold lexicon of --db (or of the default database, when it exists)."""
    from annotator.nlp.lexicon import learned_suggester
    from annotator.nlp.suggest_file import SuggestFileError, check_input, suggest_file
    from annotator.workflow.engines import suggest_on, suggestion_pool
    from annotator.workflow.lexicon import stored_lexicon

    settings = engine_settings(settings_for(db, labels, model), engine_name, address)
    on = EngineChoice.of(settings)
    scheme = load_scheme(settings.labels_path)
    try:
        check_input(input)  # before the pipeline loads, which takes seconds
        lexicon = (
            stored_lexicon(settings.database_url, must_exist=db is not None)
            if use_lexicon
            else None
        )
        if lexicon is not None:
            typer.echo(f"with the database's gold lexicon ({len(lexicon)} phrase(s))", err=True)
        if on.distributed:
            # The workers load the pipeline (and apply the lexicon); this process only writes.
            source = SuggesterSource.of(settings, lexicon=lexicon)
            with suggestion_pool(on, source) as pool:
                count = suggest_file(
                    input,
                    output,
                    batch_size=settings.batch_size,
                    suggest=suggest_on(pool, batch_size=settings.batch_size),
                )
        else:
            suggester = open_suggester(settings, scheme)
            if lexicon is not None:
                suggester = learned_suggester(suggester, lexicon)
            count = suggest_file(input, output, suggester=suggester, batch_size=settings.batch_size)
    except SuggestFileError as error:
        raise fail_listing(
            error.problems,
            summary=f"suggest aborted: {len(error.problems)} bad record(s); {output} not written",
        ) from None
    typer.echo(f"wrote {count} record(s) to {output}", err=True)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    db: DbOption = None,
) -> None:
    """Counts of reports, sentences, suggestions, annotations and gold."""
    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        counts = importing.stored_counts(session=session)
    if as_json:
        typer.echo(json.dumps(counts))
    else:
        for name, value in counts.items():
            typer.echo(f"{name:<12} {value:>10}")


@app.command()
def export(
    output: Annotated[
        Path, typer.Option("--output", help="File to write; a folder for spacy and brat.")
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="jsonl (Prodigy), spacy (train.spacy + dev.spacy), doccano, conll (IOB "
            "entities), brat (.txt + .ann), csv (one row per span).",
        ),
    ] = "jsonl",
    reviewer: Annotated[
        str | None,
        typer.Option("--reviewer", help="Export this reviewer's annotations instead of the gold."),
    ] = None,
    all_reviewers: Annotated[
        bool,
        typer.Option(
            "--all-reviewers",
            help="Export every reviewer's annotations (brat: a folder per reviewer).",
        ),
    ] = False,
    dev_share: Annotated[
        float, typer.Option("--dev-share", help="spacy: share of reports that go to dev.")
    ] = DEFAULT_DEV_SHARE,
    seed: Annotated[int, typer.Option("--seed", help="spacy: seed of the train/dev split.")] = 0,
    spans_key: Annotated[
        str, typer.Option("--spans-key", help="spacy: the doc.spans key for event triggers.")
    ] = spacy_docbin.SPANS_KEY,
    tokens: Annotated[bool, typer.Option(help="jsonl: include Prodigy-style tokens.")] = False,
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """Export the gold annotations (or a reviewer's, for external agreement tools)."""
    from annotator.workflow.exporting import ExportChoice, ExportFailed, write_export

    choice = ExportChoice(
        format=format,
        reviewer=reviewer,
        all_reviewers=all_reviewers,
        dev_share=dev_share,
        seed=seed,
        spans_key=spans_key,
        tokens=tokens,
    )
    if problem := choice.problem():
        raise fail(problem)
    settings = settings_for(db, labels)
    scheme = load_scheme(settings.labels_path)
    engine = open_database(settings)
    try:
        with session_scope(engine) as session:
            summary = write_export(choice, session=session, scheme=scheme, output=output)
    except ExportFailed as error:
        raise fail(f"export failed: {error}; {output} was not written") from None
    typer.echo(f"wrote {summary} to {output}", err=True)


@app.command()
def events(
    output: Annotated[Path, typer.Option("--output", help="The event table to write.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, jsonl or parquet (default: by the suffix of --output, else csv)."
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--source", help="gold (the settled sentences) or suggestions (the latest of each)."
        ),
    ] = "gold",
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """Write the event table: one row per event (report, date, type, actors, place,
    fatalities, evidence), mentions of one event in a report merged into one row."""
    from annotator.workflow import events as event_table

    chosen = event_table.format_for(output, format)
    from_source = event_table.check_source(source)
    try:
        event_table.check_output(output)  # before the database is read
    except event_table.EventsFailed as error:
        raise fail(f"{error}; {output} was not written") from None
    settings = settings_for(db, labels)
    scheme = load_scheme(settings.labels_path)
    engine = open_database(settings)
    with session_scope(engine) as session:
        total = event_table.count_decided(session=session, source=from_source)
        with progress_bar(f"Reading the {from_source}", total) as bar:
            state = {"shown": 0}

            def advance(done: int) -> None:
                bar.update(done - state["shown"])
                state["shown"] = done

            # Streamed: each report's rows are written as they are made.
            rows = event_table.iter_event_table(
                session=session, scheme=scheme, source=from_source, progress=advance
            )
            try:
                count = event_table.write_events(rows, output, format=chosen)
            except event_table.EventsFailed as error:
                raise fail(f"{error}; {output} was not written") from None
    typer.echo(f"wrote {count} event(s) from the {from_source} to {output} ({chosen})", err=True)


@app.command()
def evaluate(
    data: Annotated[
        Path,
        typer.Option(
            "--data", help="Gold JSONL (spans, events with args, meta.coded) to score against."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Score this spaCy pipeline (name or path) instead of the active one."
        ),
    ] = None,
    use_default: Annotated[
        bool,
        typer.Option(
            "--default", help="Score the default suggester (ANNOTATOR_MODEL + rules) instead."
        ),
    ] = False,
    db: DbOption = None,
    labels: LabelsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Print the active suggester's (or --model's, or --default's) labelled entity and
    event-trigger precision, recall and F1, and its event arguments' per role and on coder notes
    (actors named, location, fatalities found); the first line names the suggester scored."""
    from annotator.nlp.evaluate import evaluate, format_report, read_gold
    from annotator.workflow import activation

    if model is not None and use_default:
        raise fail("--model and --default name two suggesters; give one")
    settings = settings_for(db, labels)
    scheme = load_scheme(settings.labels_path)
    gold = read_gold(data)  # before the pipeline loads, which takes seconds
    if model is not None:
        scored = f"--model {model}"
        settings = settings.with_overrides(model=model)
    elif use_default:
        scored = activation.default_name(settings)
    else:
        active = activation.active_suggester(engine=open_database(settings), settings=settings)
        scored = f"the active suggester, {active.describe()}"
        settings = settings.with_overrides(model=active.model)
    report = evaluate(gold, suggester=open_suggester(settings, scheme))
    if as_json:
        typer.echo(json.dumps({"suggester": scored, **report.to_dict()}, indent=2))
    else:
        typer.echo(f"Scored   {scored}\n{format_report(report)}")


@app.command()
def init(
    db: DbOption = None,
    labels: LabelsOption = None,
    model: ModelOption = None,
    seeds: Annotated[Path, typer.Option(help="Folder of seed reports to import.")] = DEFAULT_SEEDS,
) -> None:
    """Create or migrate the database, import the seed reports and suggest for them."""
    settings = settings_for(db, labels, model)
    scheme = load_scheme(settings.labels_path)
    engine = open_database(settings)
    paths = sorted(path for path in seeds.glob("*") if path.suffix in {".txt", ".csv", ".jsonl"})
    try:
        summary = importing.import_in_chunks(
            engine=engine,
            records=read_records(paths, scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(settings),
            limits=importing.ImportLimits.of(settings),
        )
    except ImportFailed as failed:
        raise fail_listing(
            failed.errors, summary=f"seed import failed: {len(failed.errors)} bad record(s)"
        ) from None
    typer.echo(f"database ready; {summary.reports} new seed report(s)")
    create_first_admin(settings, engine)
    run_suggestions(suggesting_settings(settings, engine, model), engine, scheme)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
    db: DbOption = None,
    labels: LabelsOption = None,
    model: ModelOption = None,
) -> None:
    """Initialise the database (seeds, suggestions) and start the app in the browser."""
    init(db=db, labels=labels, model=model)
    settings = settings_for(db, labels, model)
    env = dict(os.environ)
    env.update(
        ANNOTATOR_DATABASE_URL=settings.database_url,
        ANNOTATOR_LABELS=str(settings.labels_path),
        ANNOTATOR_MODEL=settings.model,
    )
    streamlit = shutil.which("streamlit") or str(Path(sys.executable).parent / "streamlit")
    typer.echo(f"starting the app on http://localhost:{port}")
    os.chdir(PROJECT_ROOT)
    os.execve(
        streamlit,
        [streamlit, "run", str(PROJECT_ROOT / "app.py"), "--server.port", str(port)],
        env,
    )


@app.command()
def agreement(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    labels: LabelsOption = None,
    db: DbOption = None,
) -> None:
    """Agreement between reviewers on the sentences two or more of them accepted."""
    from annotator.agreement import format_report
    from annotator.workflow.agreement import agreement_report

    settings = settings_for(db, labels)
    scheme = load_scheme(settings.labels_path)
    engine = open_database(settings)
    with session_scope(engine) as session:
        report = agreement_report(session=session, scheme=scheme)
    typer.echo(json.dumps(report, indent=2, allow_nan=False) if as_json else format_report(report))


# --- backups ------------------------------------------------------------------------------


def file_size(size: int) -> str:
    """A size in bytes as people read it (``12.3 MB``)."""
    value, unit = float(size), "bytes"
    for larger in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, larger
    return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


@app.command("backup")
def backup_database(
    path: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
    db: DbOption = None,
) -> None:
    """Back up the whole database into one file, consistent while reviewers keep saving (never
    copy the live SQLite file: its latest commits are in the -wal file beside it)."""
    from annotator.workflow import backup

    # Not migrated: a backup keeps the schema it finds (the one to go back to after an upgrade).
    engine = make_engine(settings_for(db).database_url)
    summary = backup.backup(engine=engine, path=path)
    typer.echo(
        f"wrote {summary.path} ({file_size(summary.size)}, {backup.KIND_NAMES[summary.kind]}, "
        f"schema {summary.revision}): {summary.contents.describe()}"
    )


@app.command("restore")
def restore_database(
    path: Annotated[Path, typer.Argument(help="A file written by annotator backup.")],
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty database of its kind, then migrate it to the newest
    schema; a database that holds anything is refused and left as it was."""
    from annotator.workflow import backup

    engine = make_engine(settings_for(db).database_url)
    summary = backup.restore(engine=engine, path=path)
    schema = (
        summary.revision
        if summary.revision == summary.from_revision
        else f"{summary.from_revision}, migrated to {summary.revision}"
    )
    typer.echo(
        f"restored {summary.path} into {summary.database} (schema {schema}): "
        f"{summary.contents.describe()}"
    )


# --- reports ------------------------------------------------------------------------------

reports_app = typer.Typer(help="Stored reports: list them with their progress, rename, delete.")
app.add_typer(reports_app, name="reports")


@reports_app.command("list")
def reports_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    db: DbOption = None,
) -> None:
    """Every report, newest first: id, name, sentences, annotated and gold sentences."""
    from annotator.workflow import reports

    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        found = reports.list_reports(session=session)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": report.id,
                        "name": reports.display_name(report),
                        "source": report.source,
                        "sentences": report.sentences,
                        "annotated": report.annotated,
                        "gold": report.gold,
                        "imported": report.created_at.isoformat(),
                    }
                    for report in found
                ],
                indent=2,
            )
        )
        return
    typer.echo(f"{'id':>6}  {'sentences':>9}  {'annotated':>11}  {'gold':>11}  name")
    for report in found:
        typer.echo(
            f"{report.id:>6}  {report.sentences:>9}  "
            f"{f'{report.annotated}/{report.sentences}':>11}  "
            f"{f'{report.gold}/{report.sentences}':>11}  {reports.display_name(report)}"
        )


@reports_app.command("delete")
def reports_delete(
    ids: Annotated[list[int], typer.Argument(help="The ids of the reports (reports list).")],
    force: Annotated[
        bool, typer.Option("--force", help="Delete reports that have gold, and their gold.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Delete reports with their sentences, suggestions, claims and annotations, in one
    transaction; a report with gold only with --force."""
    from annotator.workflow import reports

    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        deleted = reports.delete_reports(session=session, report_ids=ids, force=force)
    typer.echo(
        f"deleted {deleted.reports} report(s) with {deleted.sentences} sentence(s) and "
        f"{deleted.gold} gold"
    )


@reports_app.command("rename")
def reports_rename(
    report_id: Annotated[int, typer.Argument(help="The id of the report (reports list).")],
    name: Annotated[str, typer.Argument(help="Its new name; empty: shown by its source.")],
    db: DbOption = None,
) -> None:
    """Give a report the name the reports page and reports list show (its source stays)."""
    from annotator.workflow import reports

    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        stored = reports.rename_report(session=session, report_id=report_id, name=name)
    typer.echo(
        f"report {report_id} is now named {stored!r}"
        if stored
        else f"report {report_id} is shown by its source"
    )


# --- accounts -----------------------------------------------------------------------------

users_app = typer.Typer(help="Reviewer accounts: create them, list them, set passwords.")
app.add_typer(users_app, name="users")


def create_first_admin(settings: Settings, engine: Engine) -> None:
    """Create ``admin`` when no admin can log in, and print its password this once."""
    with session_scope(engine) as session:
        password = accounts.ensure_admin(session=session, password=settings.admin_password)
    if password is None:
        return
    if settings.admin_password:
        typer.echo(f"created the account {accounts.ADMIN_NAME!r} with ANNOTATOR_ADMIN_PASSWORD")
    else:
        typer.secho(
            f"created the account {accounts.ADMIN_NAME!r} with the password {password}\n"
            "  (shown only now; change it with: annotator users password admin)",
            fg=typer.colors.YELLOW,
        )


def read_password(confirm: bool = True) -> str:
    """A password from a hidden prompt, or the first line of stdin when it is not a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The reviewer's login name.")],
    role: Annotated[str, typer.Option("--role", help="annotator, adjudicator or admin.")] = (
        "annotator"
    ),
    db: DbOption = None,
) -> None:
    """Create a reviewer; the password is read from a prompt or stdin, never from arguments."""
    accounts.check_role(role)  # before the password prompt
    password = read_password()
    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        account = accounts.create_reviewer(session=session, name=name, password=password, role=role)
    typer.echo(f"created {account.name} ({account.role})")


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="The reviewer's login name.")],
    db: DbOption = None,
) -> None:
    """Set a reviewer's password (from a prompt or stdin) and lift a lock after failed logins."""
    password = read_password()
    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        accounts.set_password(session=session, name=name, password=password)
    typer.echo(f"password of {name} changed")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """Every reviewer with role, whether they can log in, and failed logins."""
    engine = open_database(settings_for(db))
    with session_scope(engine) as session:
        reviewers = accounts.list_reviewers(session=session)
    for reviewer in reviewers:
        login = "login" if reviewer.password_hash and reviewer.active else "no login"
        typer.echo(f"{reviewer.name:<24} {reviewer.role:<12} {login:<9} {reviewer.failed_logins}")


# --- training -----------------------------------------------------------------------------


def train_settings_for(base: str | None, max_steps: int | None) -> Any:
    """The training settings with the command line's base pipeline and step count."""
    from annotator.nlp.train import TrainSettings

    defaults = TrainSettings()
    return TrainSettings(
        base=defaults.base if base is None else None if base == "none" else base,
        max_steps=max_steps or defaults.max_steps,
        patience=min(defaults.patience, max_steps or defaults.patience),
    )


BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Start from this pipeline's tok2vec and ner weights, or 'none' to train from "
        f"scratch (default: {DEFAULT_MODEL}).",
    ),
]
StepsOption = Annotated[
    int | None, typer.Option("--max-steps", help="Training steps (default: 600).")
]


@contextmanager
def training_bar(label: str) -> Iterator[Any]:
    """A progress bar over training steps; yields the callback spaCy's loop reports to."""
    with typer.progressbar(length=1, label=label, file=sys.stderr) as bar:
        state = {"shown": 0}

        def advance(step: int, total: int, _score: float | None) -> None:
            bar.length = total
            bar.update(step - state["shown"])
            state["shown"] = step

        yield advance


@app.command()
def train(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Folder for model-best and model-last (default: "
            f"{DEFAULT_MODELS_DIR.relative_to(PROJECT_ROOT)}/vN, or ANNOTATOR_MODELS_DIR/vN).",
        ),
    ] = None,
    base: BaseOption = None,
    max_steps: StepsOption = None,
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """Train ner, spancat and textcat_multilabel on the gold; store a numbered model version."""
    from annotator.nlp.evaluate import format_report
    from annotator.workflow import training

    settings = settings_for(db, labels)
    load_scheme(settings.labels_path)  # a broken scheme fails before a long run
    engine = open_database(settings)
    try:
        with training_bar("Training") as advance:
            version = training.train_from_gold(
                engine=engine,
                settings=settings,
                output=output,
                progress=advance,
                train_settings=train_settings_for(base, max_steps),
            )
    except training.TrainingBusy as error:
        raise fail(f"not started: {error}") from None
    typer.echo(
        f"model version {version.number}: {version.gold_count} gold sentence(s), "
        f"saved to {version.path}"
    )
    typer.echo(format_report(report_from_metrics(version.metrics, version.number)))


def report_from_metrics(metrics: dict[str, Any], number: int) -> Any:
    """An EvaluationReport rebuilt from a model version's stored metrics, for printing."""
    from annotator.nlp.evaluate import PRF, EvaluationReport, LayerScore

    def layer(data: dict[str, Any]) -> LayerScore:
        def prf(values: dict[str, Any]) -> PRF:
            return PRF(tp=int(values["tp"]), fp=int(values["fp"]), fn=int(values["fn"]))

        return LayerScore(
            overall=prf(data),
            per_label={k: prf(v) for k, v in data.get("per_label", {}).items()},
        )

    return EvaluationReport(
        model_name=f"model version {number} on the dev gold",
        model_version="",
        records=int(metrics.get("dev_count", 0)),
        entities=layer(metrics["entities"]),
        events=layer(metrics["events"]),
        categories=layer(metrics["categories"]),
    )


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    db: DbOption = None,
) -> None:
    """List the trained model versions, newest first, and say which suggester is active."""
    from annotator.workflow import activation, training

    settings = settings_for(db)
    engine = open_database(settings)
    versions = training.model_versions(engine=engine)
    if as_json:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in versions], indent=2))
        return
    active = activation.active_suggester(engine=engine, settings=settings)
    typer.echo(f"active: {active.describe()}")
    if not versions:
        typer.echo("no model version yet: annotator train")
        return
    typer.echo(f"{'#':>3} {'status':<9}{'active':<7}{'gold':>6}{'ent F':>7}{'event F':>8}  path")
    for v in versions:
        ent = v.metrics.get("entities", {}).get("f")
        ev = v.metrics.get("events", {}).get("f")
        figures = f"{ent:>7.3f}{ev:>8.3f}" if ent is not None and ev is not None else " " * 15
        typer.echo(
            f"{v.number:>3} {v.status:<9}{'yes' if v.active else '':<7}{v.gold_count:>6}"
            f"{figures}  {v.path}" + (f"\n    error: {v.error}" if v.error else "")
        )


HeldOutOption = Annotated[
    Path | None,
    typer.Option(
        "--heldout",
        help="Gold JSONL to compare on (default: the version's own dev split, gold it never "
        "trained on).",
    ),
]


def version_or_default(value: str) -> int | None:
    """A model version number, or None for ``default``."""
    if value.strip().lower() == "default":
        return None
    try:
        return int(value)
    except ValueError:
        raise fail(f"expected a model version number or 'default', got {value!r}") from None


def print_comparison(comparison: Any) -> None:
    """The three suggesters side by side, per layer and label, then what got worse."""
    typer.echo(f"Held-out gold: {comparison.heldout.describe()}")
    for scored in comparison.scored:
        typer.echo(f"{scored.role.capitalize():<10}{scored.name}")
    typer.echo("")
    roles = ("candidate", "active", "default")
    typer.echo(f"{'':<30}{'':>8}" + "".join(f"{role:>21}" for role in roles))
    typer.echo(f"{'':<30}{'support':>8}" + f"{'P':>7}{'R':>7}{'F':>7}" * len(roles))
    layer = None
    for row in comparison.label_rows():
        if row.layer != layer:
            layer = row.layer
            typer.echo(row.layer.capitalize())
        figures = "".join(
            f"{prf.precision:>7.3f}{prf.recall:>7.3f}{prf.fscore:>7.3f}"
            for prf in (row.figures[role] for role in roles)
        )
        typer.echo(f"  {row.label:<28}{row.support:>8}{figures}")
    typer.echo("")
    worse = comparison.worse()
    if worse:
        typer.echo("Worse than the active suggester: " + "; ".join(c.describe() for c in worse))
    else:
        typer.echo("No layer is worse than with the active suggester.")


@app.command()
def activate(
    number: Annotated[
        str,
        typer.Argument(
            help="The model version to suggest with, or 'default' for the default suggester."
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Activate without comparing, even if a layer of the held-out gold gets worse.",
        ),
    ] = False,
    heldout: HeldOutOption = None,
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """Make a ready model version the app's suggester, once it scores no worse than the active
    suggester on any layer of the held-out gold; 'default' goes back to the default suggester."""
    from annotator.workflow import activation

    settings = settings_for(db, labels)
    engine = open_database(settings)
    chosen = version_or_default(number)
    if chosen is None:
        previous = activation.activate_default(engine=engine)
        was = "" if previous is None else f" (was model version {previous})"
        typer.echo(f"{activation.default_name(settings)} is active{was}")
        return
    try:
        done = activation.activate_version(
            engine=engine, settings=settings, number=chosen, force=force, heldout=heldout
        )
    except activation.WorseThanActive as error:
        raise fail(f"{error} (--force activates it anyway)") from None
    except activation.NoHeldOut as error:
        raise fail(f"{error}: --heldout FILE, or --force to activate without comparing") from None
    typer.echo(f"model version {done.version.number} is active ({done.version.path})")
    if done.comparison is None:
        typer.echo("activated with --force, without comparing on held-out gold")
        return
    changes = ", ".join(
        f"{c.layer} F1 {c.candidate:.3f} (was {c.active:.3f})" for c in done.comparison.changes()
    )
    typer.echo(f"on {done.comparison.heldout.describe()}: {changes}")


@app.command()
def resuggest(
    number: Annotated[int, typer.Argument(help="The model version to suggest with.")],
    db: DbOption = None,
    labels: LabelsOption = None,
    engine_name: EngineOption = None,
    address: AddressOption = None,
) -> None:
    """Suggest with a model version for every sentence not yet annotated; resumable."""
    from annotator.workflow import training

    settings = engine_settings(settings_for(db, labels), engine_name, address)
    engine = open_database(settings)
    with progress_bar(f"Suggesting with model version {number}", 1) as bar:
        state = {"shown": 0}

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["shown"])
            state["shown"] = done

        count = training.resuggest(
            engine=engine, settings=settings, number=number, progress=advance
        )
    typer.echo(f"suggested {count} sentence(s) with model version {number}")


@app.command("learning-curve")
def learning_curve(
    version: Annotated[
        int | None,
        typer.Option("--version", help="Store the curve on this model version too."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    base: BaseOption = None,
    max_steps: StepsOption = None,
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """Dev F1 per layer after training on 25, 50, 75 and 100% of the training gold (trains 4
    models), with the default suggester's on the same dev gold."""
    from annotator.workflow import training

    settings = settings_for(db, labels)
    load_scheme(settings.labels_path)  # a broken scheme fails before a long run
    engine = open_database(settings)
    try:
        with training_bar("Learning curve") as advance:
            curve = training.learning_curve(
                engine=engine,
                settings=settings,
                train_settings=train_settings_for(base, max_steps),
                progress=advance,
                number=version,
            )
    except training.TrainingBusy as error:
        raise fail(f"not started: {error}") from None
    if as_json:
        typer.echo(json.dumps(curve.to_dict(), indent=2))
        return
    typer.echo(f"{'share':>7}{'train':>7}{'ent F':>8}{'event F':>9}{'cat F':>8}")
    for p in curve.points:
        typer.echo(
            f"{p.share:>7.0%}{p.train_count:>7}{p.entities_f:>8.3f}{p.events_f:>9.3f}"
            f"{p.categories_f:>8.3f}"
        )
    d = curve.default
    typer.echo(
        f"{'default':>7}{'':>7}{d.entities_f:>8.3f}{d.events_f:>9.3f}{d.categories_f:>8.3f}"
        f"  {d.model}"
    )


@app.command("compare-suggesters")
def compare_suggesters(
    number: Annotated[
        int | None,
        typer.Argument(
            help="The candidate model version (default: the newest ready one not active)."
        ),
    ] = None,
    heldout: HeldOutOption = None,
    train_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--train",
            help="Instead of a version, train the candidate on these gold JSONL files "
            "(repeatable; needs --heldout).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="With --train: keep the trained model here.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help=f"The default suggester's pipeline (default: ANNOTATOR_MODEL or {DEFAULT_MODEL}).",
        ),
    ] = None,
    base: BaseOption = None,
    max_steps: StepsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOption = None,
    labels: LabelsOption = None,
) -> None:
    """The candidate, the active and the default suggester side by side on the same held-out
    gold: P/R/F per layer (entities, events, categories, arguments where the gold has them) and
    per label, and the layers on which the candidate is worse than the active suggester."""
    import tempfile

    from annotator.workflow import activation

    settings = settings_for(db, labels, model)
    if train_files and number is not None:
        raise fail("give a model version or --train files, not both")
    engine = open_database(settings)
    if not train_files:
        chosen = number if number is not None else activation.candidate_number(engine=engine)
        try:
            comparison = activation.compare_suggesters(
                engine=engine, settings=settings, number=chosen, heldout=heldout
            )
        except activation.NoHeldOut as error:
            raise fail(f"{error}: --heldout FILE") from None
    elif heldout is None:
        raise fail("--train needs --heldout: the gold the trained model never sees")
    else:
        load_scheme(settings.labels_path)  # a broken scheme fails before a long run
        with tempfile.TemporaryDirectory(prefix="annotator-compare-") as temporary:
            try:
                with training_bar("Training") as advance:
                    comparison = activation.compare_trained(
                        engine=engine,
                        settings=settings,
                        train_files=train_files,
                        heldout=heldout,
                        work_dir=output or Path(temporary),
                        train_settings=train_settings_for(base, max_steps),
                        progress=advance,
                    )
            except ImportFailed as failed:
                raise fail_listing(
                    failed.errors,
                    summary=f"comparison aborted: {len(failed.errors)} bad record(s) in --train",
                ) from None
    if as_json:
        typer.echo(json.dumps(comparison.to_dict(), indent=2))
    else:
        print_comparison(comparison)


# --- benchmark ----------------------------------------------------------------------------

# The same command as ``python -m annotator.bench`` (annotator/bench/command.py).
app.command("bench")(bench_command)
