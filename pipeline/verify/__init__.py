"""The verify stage: every package of the archive (checksums, completeness,
our rules) and the version chain between them; bags from other tools too."""

from pipeline.verify.stage import verification_report, verify_archive, verify_bags

__all__ = ["verification_report", "verify_archive", "verify_bags"]
