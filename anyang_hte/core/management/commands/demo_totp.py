import time

from django.core.management.base import BaseCommand, CommandError

from anyang_hte.core.two_factor import DEMO_TOTP_KEY, DEMO_TOTP_KEY_HEX, is_production, totp_code


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of the demo accounts' shared TOTP key "
        f"({DEMO_TOTP_KEY}, given to reviewer, finance_city, finance_wf and admin by seed_demo), so a "
        "person without an authenticator app can log in. Development only: refuses under production "
        "settings, where that key is refused anyway."
    )

    def handle(self, *args, **options):
        if is_production():
            raise CommandError("生产环境没有演示密钥。(There is no demo key in production.)")
        now = time.time()
        left = 30 - int(now) % 30
        self.stdout.write(totp_code(DEMO_TOTP_KEY_HEX, at=now))
        self.stderr.write(f"valid for another {left} s; demo key {DEMO_TOTP_KEY}")
