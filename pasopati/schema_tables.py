"""Every table of the store in one metadata (``pasopati.db.types.Base``), for migrations and tests.

Only the migration environment and tests import this module: the core's own imports stay one-way.
"""

from pasopati.alerts import tables as alerts  # noqa: F401
from pasopati.audit import tables as audit  # noqa: F401
from pasopati.db import meta  # noqa: F401
from pasopati.db.types import Base
from pasopati.decisions import tables as decisions  # noqa: F401
from pasopati.drafts import tables as drafts  # noqa: F401
from pasopati.evaluations import tables as evaluations  # noqa: F401
from pasopati.facts import tables as facts  # noqa: F401
from pasopati.identity import tables as identity  # noqa: F401
from pasopati.incidents import tables as incidents  # noqa: F401
from pasopati.publications import tables as publications  # noqa: F401
from pasopati.starts import tables as starts  # noqa: F401
from pasopati.team import tables as team  # noqa: F401

metadata = Base.metadata
