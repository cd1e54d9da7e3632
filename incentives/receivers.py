"""The incentives app's answers to the ledger's events (``enterprises.signals``).

Connected in ``IncentivesConfig.ready()``. Each receiver only calls this app's service with the same
``by``; the service checks the right and scope itself, and its refusal rolls back the ledger's write.
"""

from .services import rewards_for_qualification, rewards_on_qualification_revoked


def on_qualification_recorded(sender, *, qualification, by, **kwargs) -> None:
    rewards_for_qualification(qualification=qualification, by=by)


def on_qualification_revoked(sender, *, qualification, by, **kwargs) -> None:
    rewards_on_qualification_revoked(qualification=qualification, by=by)
