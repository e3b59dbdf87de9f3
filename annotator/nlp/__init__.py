"""spaCy side of the annotator: tokens and sentences, suggestions, training."""
