"""How unsure the suggester is of a sentence: one figure from 0 (sure) to 1 (a coin toss).

Every statistical decision the pipeline makes with a probability ``p`` is scored by its margin,
``1 - |2p - 1|``, and the sentence takes the largest: one close call is enough to make a
reviewer's decision on it worth more to the next model than one on a sentence it gets right
without doubt. The decisions read are

- the NER's: a beam search (``beam_parse``, width ``BEAM_WIDTH``) over a copy of the sentence
  with its entities unset gives each candidate entity the probability mass of the parses that
  hold it. The default ``en_core_web_sm`` parses greedily and gives no score of its own; on its
  beam, names it knows are 1.0 and the doubtful ones (an acronym it calls ORG at 0.29, a
  quantity at 0.68) stand out;
- a ``spancat``'s scores of the spans it keeps (``doc.spans[key].attrs["scores"]``);
- a ``textcat``'s or ``textcat_multilabel``'s category scores (``doc.cats``).

A pipeline with none of these (rules only) has no figure: ``None``, and routing serves its
sentences in report order. The beam runs the NER a second time, about as long again as the
whole default pipeline, so suggestions carry a figure only when routing asks for one.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc

BEAM_WIDTH = 4


def margin(probability: float) -> float:
    """How close a probability is to a coin toss: 1 at 0.5, 0 at 0 or 1."""
    return 1.0 - abs(2.0 * min(1.0, max(0.0, float(probability))) - 1.0)


def ner_scores(nlp: Language, doc: Doc) -> list[float]:
    """The beam probability of every entity the NER considers in the sentence (none without
    an NER)."""
    if "ner" not in nlp.pipe_names:
        return []
    ner = nlp.get_pipe("ner")
    if not hasattr(ner, "beam_parse") or len(doc) == 0:
        return []
    # The beam starts from the entities a Doc already has: they are unset so that it
    # weighs every reading again (the copy keeps the shared tok2vec's tensor).
    blank = doc.copy()
    blank.set_ents([], default="missing")
    beams = ner.beam_parse([blank], beam_width=BEAM_WIDTH)
    return [float(p) for p in ner.scored_ents(beams)[0].values()]  # type: ignore[attr-defined]


def component_scores(doc: Doc) -> list[float]:
    """The scores a spancat and a textcat wrote on the Doc."""
    scores: list[float] = [float(score) for score in doc.cats.values()]
    for group in doc.spans.values():
        found = group.attrs.get("scores")
        if found is not None:
            scores.extend(float(score) for score in found)
    return scores


def sentence_uncertainty(nlp: Language, doc: Doc) -> float | None:
    """The sentence's figure: the largest margin of its statistical decisions, or None when
    the pipeline has no statistical component that scores them."""
    scores = [*ner_scores(nlp, doc), *component_scores(doc)]
    if not scores and "ner" not in nlp.pipe_names:
        return None
    # An NER that considers no entity at all is sure there is none.
    return round(max((margin(score) for score in scores), default=0.0), 6)


def uncertainties(nlp: Language, docs: Iterable[Doc]) -> list[float | None]:
    """The figure of every Doc, in order."""
    return [sentence_uncertainty(nlp, doc) for doc in docs]
