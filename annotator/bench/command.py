"""The ``bench`` command, shared by ``python -m annotator.bench`` and ``annotator bench``.

Only Typer is imported here; the benchmark itself is imported when the command runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from annotator.config import DEFAULT_BENCH_CACHE, PROJECT_ROOT
from annotator.errors import AnnotatorError

DEFAULT_MARKDOWN = PROJECT_ROOT / "artifacts" / "bench.md"


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Every row at a tiny size: seconds, not minutes.")
    ] = False,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write the rows as a JSON list of {name, value, unit, baseline, "
            "ratio, target, ok}.",
        ),
    ] = None,
    markdown: Annotated[
        Path, typer.Option("--markdown", help="Where the Markdown table is written.")
    ] = DEFAULT_MARKDOWN,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="A PostgreSQL server URL (postgresql://user@host/db): the benchmark creates its "
            "own databases there. Default: SQLite files.",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run only this group (repeatable): suggest, cluster, import, annotate, "
            "agreement, export, events, browser (needs Chromium); routing (trains two models, "
            "run only when named).",
        ),
    ] = None,
    scale: Annotated[
        float | None,
        typer.Option("--scale", help="Every size times this factor (0.1 for a tenth)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated corpus.")] = 0,
    cache_dir: Annotated[
        Path, typer.Option("--cache-dir", help="Where big generated databases are kept.")
    ] = DEFAULT_BENCH_CACHE,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Build every database afresh, keep none.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with 1 when a row misses its target.")
    ] = False,
) -> None:
    """Measure the annotator against its baselines and print one Markdown table."""
    from annotator.bench.runner import FULL, QUICK, run, save

    if scale is not None and scale <= 0:
        raise _fail(f"--scale must be above 0, got {scale}")
    sizes = QUICK if quick else FULL
    if scale is not None:
        sizes = sizes.scaled(scale)
    logging.basicConfig(level=logging.WARNING)
    try:
        outcome = run(
            sizes=sizes,
            seed=seed,
            db=db,
            only=only or (),
            cache_dir=cache_dir,
            use_cache=not no_cache,
            progress=lambda message: typer.echo(message, err=True),
        )
    except AnnotatorError as error:  # BenchError, a database it cannot use (--db)...
        raise _fail(f"benchmark failed: {error}") from None
    save(outcome, markdown=markdown, json_path=json_path)
    typer.echo(outcome.markdown())
    typer.echo(f"written to {markdown}" + (f" and {json_path}" if json_path else ""), err=True)
    missed = [row.name for row in outcome.rows if row.ok is False]
    if missed:
        typer.echo(f"{len(missed)} row(s) missed their target", err=True)
        if check:
            raise typer.Exit(code=1)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)
