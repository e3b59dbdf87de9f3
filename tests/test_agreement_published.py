"""Agreement on the reliability tables the literature publishes, to the digits it prints.

Each table is imported the way a team's own files arrive (one Prodigy record per unit and
coder, the coder as ``_annotator_id``, the value as the sentence's one category from a scheme
whose categories are the scale) and measured with ``annotator agreement --json``.

* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units, values
  1-5, some missing; unit 12 was coded once. Gwet (2014) gives AC1 = 0.7754 for it, counting the
  singly coded unit in chance agreement; nominal alpha is 0.743.
* Hayes & Krippendorff (2007), Table 1: 5 observers, 40 news articles, tone 0-3, some missing.
  Gwet's AC1 with identity weights on a 4-point scale is 0.5093; nominal alpha is 0.477.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import DEFAULT_LABELS

runner = CliRunner()

# Coders by row, units by column; None where a coder did not code the unit.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# Units by row (articles 1-40), observers by column (obs1-obs5).
_HAYES_2007_TABLE_1 = """
1 1 2 . 2 | 1 1 0 1 . | 2 3 3 3 . | . 0 0 . 0 | 0 0 0 . 0 | 0 0 0 . 0 | 1 0 2 . 1 | 1 . 2 0 .
2 2 2 . 2 | 2 1 1 1 . | . 1 0 0 . | 0 0 0 0 . | 1 2 2 2 . | 3 3 2 2 3 | 1 1 1 . 1 | 1 1 1 . 1
2 1 2 . 2 | 1 2 3 3 . | 1 1 0 1 . | 0 0 0 . 0 | 0 0 1 1 . | 0 0 . 0 0 | 2 3 3 3 . | 0 0 0 0 .
1 2 . 2 2 | 0 1 1 1 . | 0 0 0 1 0 | 1 2 1 2 . | 1 1 2 2 . | 1 1 2 . 2 | 1 1 0 . 0 | 2 1 2 1 .
2 2 . 2 2 | 3 2 2 2 . | 2 2 2 . 2 | 2 2 3 . 2 | 2 2 2 . 2 | 2 2 . 1 2 | 2 2 2 2 . | 1 1 1 . 1
"""


def units_of(table: str) -> list[list[int | None]]:
    """The rows of a table written as units separated by '|', values by spaces."""
    units = [unit.split() for line in table.strip().splitlines() for unit in line.split("|")]
    return [[None if value == "." else int(value) for value in unit] for unit in units]


HAYES_UNITS = units_of(_HAYES_2007_TABLE_1)
HAYES_2007 = {f"obs{index + 1}": [unit[index] for unit in HAYES_UNITS] for index in range(5)}


def scale_scheme(tmp_path: Path, values: range) -> Path:
    """The default scheme with exclusive categories that are the scale's values."""
    data = yaml.safe_load(DEFAULT_LABELS.read_text(encoding="utf-8"))
    for spec in data["events"].values():
        spec.pop("category", None)
    keys = iter("bemvzj")
    data["categories"] = {
        "exclusive": True,
        "labels": {
            str(value): {
                "description": f"Scale point {value}.",
                "colour": colour,
                "shortcut": next(keys),
                "guideline": f"The unit is rated {value}.",
            }
            for value, colour in zip(
                values,
                ("#1f4e79", "#7b2c00", "#2e6b30", "#6a1b6e", "#8a1538", "#3d3d3d"),
                strict=False,
            )
        },
    }
    path = tmp_path / "scale.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def import_table(db: str, tmp_path: Path, labels: Path, table: dict[str, list]) -> None:
    """One Prodigy record per coded unit: the coder's value as the sentence's category."""
    lines = [
        {
            "text": f"Unit {unit + 1} of the reliability sample.",
            "accept": [str(value)],
            "answer": "accept",
            "_annotator_id": coder,
        }
        for coder, values in table.items()
        for unit, value in enumerate(values)
        if value is not None
    ]
    data = tmp_path / "codings.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    args = ["import", "--no-suggest", "--db", db, "--labels", str(labels), str(data)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def categories_of(db: str, labels: Path) -> dict:
    result = runner.invoke(app, ["agreement", "--json", "--db", db, "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["categories"]


def test_gwet_ac1_matches_gwet_on_krippendorffs_2011_example(db_url, tmp_path):
    labels = scale_scheme(tmp_path, range(1, 6))
    import_table(db_url, tmp_path, labels, KRIPPENDORFF_2011)
    categories = categories_of(db_url, labels)
    assert categories["exclusive"] is True
    assert (categories["n_items"], categories["n_annotators"], categories["rated_once"]) == (
        11,
        4,
        1,
    )
    assert round(categories["gwet_ac1"]["value"], 4) == 0.7754
    assert round(categories["krippendorff_alpha"]["value"], 3) == 0.743


def test_gwet_ac1_matches_the_published_value_on_hayes_and_krippendorffs_table(db_url, tmp_path):
    labels = scale_scheme(tmp_path, range(4))
    import_table(db_url, tmp_path, labels, HAYES_2007)
    categories = categories_of(db_url, labels)
    assert (categories["n_items"], categories["n_annotators"], categories["rated_once"]) == (
        40,
        5,
        0,
    )
    assert round(categories["gwet_ac1"]["value"], 4) == 0.5093
    assert round(categories["krippendorff_alpha"]["value"], 3) == 0.477


def test_the_scale_is_the_schemes_whatever_the_coders_used(db_url, tmp_path):
    # The same codings on a 6-point scale: one value no coder chose still counts as a choice
    # they had, so chance agreement is lower and AC1 higher than on the 5-point scale.
    labels = scale_scheme(tmp_path, range(1, 7))
    import_table(db_url, tmp_path, labels, KRIPPENDORFF_2011)
    assert categories_of(db_url, labels)["gwet_ac1"]["value"] > 0.7754
