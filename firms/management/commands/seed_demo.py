import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from anyang_hte.core.roles import Role, two_factor_required
from anyang_hte.core.two_factor import DEMO_TOTP_KEY
from enterprises.demo import DEMO_PASSWORD, MAX_PER_JURISDICTION
from firms.demo import seed_demo_all


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic demo data: one account per role and a synthetic ledger "
        "(enterprises, three years of figures, qualifications at every stage, milestones, visits), rewards, "
        "the assessment registers, firm accounts with submissions, and the HTE application rounds (this "
        "year's open, last year's closed). "
        f"Idempotent: a re-run creates nothing new and leaves other rows alone. Every demo account "
        f"(county_wf, county_lz, reviewer, finance_city, finance_wf, admin, qiye_wf, qiye_reg_wf, qiye_lz) "
        f"has the password "
        f"{DEMO_PASSWORD!r}, reset on every run; reviewer, finance_city, finance_wf and admin log in with a "
        f"second factor whose TOTP key is {DEMO_TOTP_KEY} (`manage.py demo_totp` prints the current code). "
        "Refuses to run under production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enterprises-per-jurisdiction",
            type=int,
            default=30,
            metavar="N",
            help=f"Demo enterprises in each jurisdiction (default 30, at most {MAX_PER_JURISDICTION}).",
        )

    def handle(self, *args, enterprises_per_jurisdiction, **options):
        if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
            raise CommandError(
                _(
                    "生产环境禁止生成演示数据：演示账号绝不能出现在真实服务器上。"
                    "(Refusing to seed demo data under production settings: demo accounts never reach a real "
                    "server.)"
                )
            )
        if not 1 <= enterprises_per_jurisdiction <= MAX_PER_JURISDICTION:
            raise CommandError(
                f"--enterprises-per-jurisdiction must be between 1 and {MAX_PER_JURISDICTION}."
            )

        started = time.monotonic()
        result = seed_demo_all(per_jurisdiction=enterprises_per_jurisdiction, password=DEMO_PASSWORD)
        elapsed = time.monotonic() - started

        out = self.stdout
        out.write(f"{'县区':<14}{'演示企业':>8}{'本次新增':>8}{'高企及以上':>9}{'库内企业':>8}")
        for row in result.counts:
            name = row.jurisdiction.short_name or row.jurisdiction.name
            out.write(f"{name:<{16 - len(name)}}{row.demo:>12}{row.created:>12}{row.hte:>14}{row.total:>12}")
        out.write(
            f"{'合计':<14}{sum(r.demo for r in result.counts):>12}{result.created:>12}"
            f"{sum(r.hte for r in result.counts):>14}{sum(r.total for r in result.counts):>12}"
        )
        out.write("")
        out.write(f"{'username':<14}{'role':<18}{'jurisdiction':<14}display name")
        for user in result.accounts:
            if user.enterprise_id:
                juris = user.enterprise.jurisdiction.short_name or user.enterprise.jurisdiction.name
            elif user.role == Role.ENTERPRISE:
                juris = "待确认"
            else:
                juris = user.jurisdiction.short_name if user.jurisdiction else "全市"
            out.write(f"{user.username:<14}{user.role:<18}{juris:<{14 - len(juris)}}{user.display_name}")
        out.write(f"Password for every demo account: {DEMO_PASSWORD}")
        needs_code = ", ".join(u.username for u in result.accounts if two_factor_required(u))
        out.write(
            f"Two-factor code needed by {needs_code}: TOTP key {DEMO_TOTP_KEY} in any authenticator app, "
            "or run `manage.py demo_totp` for the current code."
        )
        out.write(
            self.style.SUCCESS(
                f"Demo data ready: {result.created} enterprises created, {result.skipped} already present "
                f"({elapsed:.1f}s)."
            )
        )
