"""The reproduce stage: prove a package's PDFs are renditions of its own files.

``plan`` reads what a package records about its PDFs (``data/_provenance/``)
into statements that point at the package's own metadata and bodies;
``compare`` finds the first object or page where two PDFs differ; ``stage``
judges each re-rendered PDF: reproduced, differs, or cannot reproduce here.
Rendering itself is the render stage's: the CLI composes the two.
"""

from pipeline.reproduce.plan import ReproductionPlan, read_plan
from pipeline.reproduce.stage import environment_differences, judge, reproduction_report

__all__ = ["ReproductionPlan", "environment_differences", "judge", "read_plan", "reproduction_report"]
