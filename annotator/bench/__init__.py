"""The benchmark suite: the annotator against its real baselines, side by side in one run.

``python -m annotator.bench`` (or ``annotator bench``) prints one Markdown table, each row a
figure, its baseline measured in the same run, the ratio and the target. Groups of rows live in
their own modules (suggest, importing, annotate, agreement, export); ``corpus`` generates the
text they work on and ``database`` the databases.
"""
