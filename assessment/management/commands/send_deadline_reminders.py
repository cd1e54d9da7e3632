"""python manage.py send_deadline_reminders [--date YYYY-MM-DD]

Does by hand what the daily beat task ``assessment.tasks.deadline_reminders`` does: each owner of an
overdue item (a reward to submit, review or pay, a firm submission to confirm) gets one message in the
portal and by e-mail listing their overdue items. Whoever was reminded of a kind that day is not
reminded again, so running it twice (or after the task) sends nothing new. Prints ``sent N reminders``.
``--date`` judges the limits on that day instead of today (reminders are recorded under that day).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import SystemActor
from assessment.services import deadline_reminders_send


class Command(BaseCommand):
    help = "Send today's reminders of overdue items (once a day per owner and kind)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="judge the limits on this day (YYYY-MM-DD); default today")

    def handle(self, *args, date=None, **options):
        day = None
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        try:
            sent = deadline_reminders_send(by=SystemActor("command send_deadline_reminders"), today=day)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"sent {sent} reminders")
