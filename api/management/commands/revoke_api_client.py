from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.errors import DomainError
from anyang_hte.core.roles import SystemActor
from api.models import ApiClient
from api.services import api_client_revoke


class Command(BaseCommand):
    help = "Revoke an API client's token at once (the client stays listed): NAME."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"no API client named {name!r}")
        try:
            api_client_revoke(client=client, by=SystemActor("command revoke_api_client"))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"revoked {client.name}")
