"""Events of the ledger that other apps act on: the one way a lower layer causes work above it.

``enterprises`` never imports the apps above it (``incentives``, ``assessment``). When something here
must cause work there (a certificate recorded → its reward), the service sends a signal **inside its
transaction**, after its own writes; the upper app connects a receiver in its ``AppConfig.ready()``
and the receiver calls that app's own service, which checks ``by``'s right and scope itself. Signals
are sent with ``send`` (not ``send_robust``): a receiver's refusal or error propagates and rolls the
whole transaction back, so a qualification never lands without its reward, nor a reward without it.

Receivers today (see ``incentives/receivers.py``):

- ``qualification_recorded(qualification, by)`` → ``incentives`` generates the rewards the rules give;
- ``qualification_revoked(qualification, by)`` → ``incentives`` cancels unpaid rewards and opens a
  recovery (追回) for money already paid.
"""

from django.dispatch import Signal

qualification_recorded = Signal()  # kwargs: qualification, by
qualification_revoked = Signal()  # kwargs: qualification, by
