"""The submit stage: send the newest verified package's PDFs to the records system.

One idea per module:

- :mod:`.plan`         the newest package, verified now, and what it holds
- :mod:`.stage`        ``submit_package``: send, confirm, record each statement
- :mod:`.ledger`       every attempt, in SQLite beside the archive
- :mod:`.retry`        exponential backoff with jitter, bounded, injectable
- :mod:`.credentials`  user and password from the environment or netrc
- :mod:`.targets`      the ``Target`` interface; ``file``, ``webdav``, ``s3``

Remote names carry the package version (``<identifier>/v0003/<identifier>.pdf``
beside ``<identifier>.metadata.json``), so a new version never replaces an old
one at the target.
"""

from pipeline.submit.ledger import Attempt, Ledger, open_ledger
from pipeline.submit.plan import SelectedPackage, SubmissionItem, newest_verified_package
from pipeline.submit.retry import RetryPolicy
from pipeline.submit.stage import ItemOutcome, SubmitOptions, SubmitOutcome, plan_only, submit_package
from pipeline.submit.targets import Confirmation, Digest, Receipt, Target, TargetError, TargetOptions, Transient, open_target

__all__ = [
    "Attempt", "Confirmation", "Digest", "ItemOutcome", "Ledger", "Receipt", "RetryPolicy",
    "SelectedPackage", "SubmissionItem", "SubmitOptions", "SubmitOutcome", "Target", "TargetError",
    "TargetOptions", "Transient", "newest_verified_package", "open_ledger", "open_target",
    "plan_only", "submit_package",
]
