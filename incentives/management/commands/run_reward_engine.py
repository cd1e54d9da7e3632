from django.core.management.base import BaseCommand

from anyang_hte.core.roles import SystemActor
from incentives.services import rewards_run_all


class Command(BaseCommand):
    help = (
        "Run the reward engine over every recorded qualification: creates the rewards the rules give "
        "that do not exist yet (after a new rule is opened, say). Running it again changes nothing."
    )

    def handle(self, *args, **options):
        created = rewards_run_all(by=SystemActor("command run_reward_engine"))
        self.stdout.write(f"new rewards {created}")
