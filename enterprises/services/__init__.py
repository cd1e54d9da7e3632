"""Every write to the ledger. Views, importers, commands, tasks and the other apps call these; nothing
else saves a ledger row.

Each write service takes the acting ``by`` (a user, or a ``SystemActor`` for commands and tasks),
checks ``by``'s right and the enterprise's jurisdiction itself (``anyang_hte.core.guards``), changes
state in one transaction, records field history and an audit entry, and refuses with ``DomainError``.

- ``ledger``: register an enterprise, edit its record;
- ``qualifications``: record and revoke qualifications, the derived pipeline stage;
- ``figures``: yearly figures, the derived readiness flags;
- ``timetable``: the linked helper's milestones, service visits;
- ``evidence``: the IP register, adverse records and the tech-SME direct routes;
- ``innovation``: the innovation-capability scoring of an application year;
- ``imports``: write a previewed spreadsheet import, all or nothing.

Functions that only recompute derived columns from stored rows (``enterprise_refresh_stage``,
``refresh_all_stages``, ``enterprise_refresh_readiness``, ``readiness_refresh_many``,
``readiness_refresh_all``) take no ``by``:
nothing a caller passes changes what they store.
"""

from .evidence import (
    distinction_create,
    distinction_delete,
    distinction_update,
    incident_create,
    incident_delete,
    incident_update,
    ip_item_create,
    ip_item_delete,
    ip_item_update,
)
from .figures import (
    FIGURE_FIELDS,
    ReadinessFlags,
    enterprise_refresh_readiness,
    figures_save,
    readiness_refresh_all,
    readiness_refresh_many,
)
from .imports import apply_ledger_import, import_ledger_file
from .innovation import innovation_assessment_save
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
    "import_ledger_file",
    "derive_stage",
    "distinction_create",
    "distinction_delete",
    "distinction_update",
    "enterprise_create",
    "enterprise_refresh_readiness",
    "enterprise_refresh_stage",
    "enterprise_update",
    "figures_save",
    "incident_create",
    "incident_delete",
    "incident_update",
    "innovation_assessment_save",
    "ip_item_create",
    "ip_item_delete",
    "ip_item_update",
    "milestone_create",
    "milestone_update",
    "qualification_expiry",
    "qualification_record",
    "qualification_revoke",
    "readiness_refresh_all",
    "readiness_refresh_many",
    "refresh_all_stages",
    "visit_create",
]
