from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.roles import SystemActor
from api.scopes import SCOPES
from api.services import api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client and print its token once: NAME (--city | --jurisdiction CODE) --scopes S,... "
        f"[--days N]. Scopes: {', '.join(SCOPES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--city", action="store_true", help="the whole city")
        where.add_argument("--jurisdiction", metavar="CODE", help="one jurisdiction's code, e.g. 410522")
        parser.add_argument("--scopes", required=True, help="comma-separated scope codes")
        parser.add_argument("--days", type=int, default=365, help="days until the token expires (365)")

    def handle(self, *args, name, city, jurisdiction, scopes, days, **options):
        place = None
        if jurisdiction:
            place = Jurisdiction.objects.filter(code=jurisdiction.strip()).first()
            if place is None:
                raise CommandError(f"no jurisdiction with code {jurisdiction!r}")
        try:
            client, token = api_client_create(
                name=name,
                scopes=[s for s in scopes.split(",") if s.strip()],
                city_wide=bool(city),
                jurisdiction=place,
                days=days,
                by=SystemActor("command create_api_client"),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"client {client.name} ({client.scope_text}; {', '.join(client.scopes)}), "
            f"expires {client.expires_at:%Y-%m-%d}"
        )
        self.stdout.write("token (shown once, only its digest is kept):")
        self.stdout.write(token)
