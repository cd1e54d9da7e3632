"""The round's answer to the ledger's events (``enterprises.signals``), connected in ``ready()``.

An HTE qualification recorded (normally by importing the province's list, which also generates the
reward) certifies the firm's entry the city passed. The portal itself records that outcome (a
``SystemActor``): the person who imported the list holds no round right, and needs none for it.
"""

from anyang_hte.core.roles import SystemActor

from .services import entries_certify_for_qualification

ACTOR = SystemActor("applications: HTE qualification recorded")


def on_qualification_recorded(sender, *, qualification, by, **kwargs) -> None:
    entries_certify_for_qualification(qualification=qualification, by=ACTOR)
