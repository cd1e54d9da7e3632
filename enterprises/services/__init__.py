"""Every write to the ledger. Views, importers, commands, tasks and the other apps call these; nothing
else saves a ledger row.

Each write service takes the acting ``by`` (a user, or a ``SystemActor`` for commands and tasks),
checks ``by``'s right and the enterprise's jurisdiction itself (``anyang_hte.core.guards``), changes
state in one transaction, records field history and an audit entry, and refuses with ``DomainError``.

- ``ledger``: register an enterprise, edit its record;
- ``qualifications``: record and revoke qualifications, the derived pipeline stage;
- ``figures``: yearly figures, the derived readiness flags;
- ``timetable``: the linked helper's milestones, service visits;
- ``imports``: write a previewed spreadsheet import, all or nothing.

Functions that only recompute derived columns from stored rows (``enterprise_refresh_stage``,
``refresh_all_stages``, ``enterprise_refresh_readiness``, ``readiness_refresh_many``) take no ``by``:
nothing a caller passes changes what they store.
"""

from .figures import (
    FIGURE_FIELDS,
    ReadinessFlags,
    enterprise_refresh_readiness,
    figures_save,
    readiness_refresh_many,
)
from .imports import apply_ledger_import
from .ledger import ENTERPRISE_FIELDS, DuplicateEnterprise, enterprise_create, enterprise_update
from .qualifications import (
    derive_stage,
    enterprise_refresh_stage,
    qualification_expiry,
    qualification_record,
    qualification_revoke,
    refresh_all_stages,
)
from .timetable import milestone_create, milestone_update, visit_create

__all__ = [
    "ENTERPRISE_FIELDS",
    "FIGURE_FIELDS",
    "DuplicateEnterprise",
    "ReadinessFlags",
    "apply_ledger_import",
    "derive_stage",
    "enterprise_create",
    "enterprise_refresh_readiness",
    "enterprise_refresh_stage",
    "enterprise_update",
    "figures_save",
    "milestone_create",
    "milestone_update",
    "qualification_expiry",
    "qualification_record",
    "qualification_revoke",
    "readiness_refresh_many",
    "refresh_all_stages",
    "visit_create",
]
