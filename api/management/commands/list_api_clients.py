from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import ApiClient


class Command(BaseCommand):
    help = "List the API clients: name, scope, scopes, token prefix, expiry, state, last use."

    def handle(self, *args, **options):
        now = timezone.now()
        for client in ApiClient.objects.select_related("jurisdiction"):
            state = "revoked" if client.is_revoked else "expired" if client.is_expired(now) else "active"
            used = f"{client.last_used_at:%Y-%m-%d %H:%M}" if client.last_used_at else "never"
            self.stdout.write(
                f"{client.name}\t{client.scope_text}\t{','.join(client.scopes)}\t{client.token_prefix}…\t"
                f"expires {client.expires_at:%Y-%m-%d}\t{state}\tlast used {used}"
            )
