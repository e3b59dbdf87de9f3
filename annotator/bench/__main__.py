"""``python -m annotator.bench``: the benchmark table (see ``annotator.bench.command``)."""

import typer

from annotator.bench.command import bench

if __name__ == "__main__":
    typer.run(bench)
