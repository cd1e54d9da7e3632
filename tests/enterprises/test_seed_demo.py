import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.test import override_settings
from stdnum.cn import uscc

from anyang_hte.core import dates
from anyang_hte.core.models import Jurisdiction, User
from enterprises import services
from enterprises.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, JURISDICTION_CODES, plan_all
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    LedgerMilestone,
    Qualification,
    QualificationKind,
    ServiceVisit,
    Stage,
)
from enterprises.pinyin import name_initials
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

CHILD_MODELS = (Qualification, AnnualFigures, LedgerMilestone, ServiceVisit)


def seed(per_jurisdiction: int | None = 3) -> str:
    out = StringIO()
    args = [] if per_jurisdiction is None else ["--enterprises-per-jurisdiction", str(per_jurisdiction)]
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def fingerprint():
    figures = AnnualFigures.objects.aggregate(
        *(
            Sum(f)
            for f in ("sales_revenue", "rd_expense", "hightech_revenue", "staff_count", "ip_class2_count")
        )
    )
    return (
        sorted(Enterprise.objects.values_list("credit_code", "name", "jurisdiction__code", "stage")),
        figures,
        {m.__name__: m.objects.count() for m in CHILD_MODELS},
        sorted(Qualification.objects.values_list("enterprise__credit_code", "kind", "number", "granted_on")),
    )


def row_counts():
    models = (Enterprise, User, *CHILD_MODELS)
    counts = {m.__name__: m.objects.count() for m in models}
    counts.update({f"history_{m.__name__}": m.history.count() for m in (Enterprise, *CHILD_MODELS)})
    return counts


def test_second_run_creates_nothing_and_keeps_the_same_data():
    seed()
    before, codes = row_counts(), fingerprint()
    output = seed()
    assert row_counts() == before
    assert fingerprint() == codes
    assert before["Enterprise"] == 3 * len(JURISDICTION_CODES)
    assert "0 enterprises created, 33 already present" in output


def test_the_same_seed_gives_the_same_data():
    seed()
    first = fingerprint()
    # Start again from nothing: the demo's rewards and their records go first (they protect the rest).
    from anyang_hte.core.models import AuditLog
    from applications.models import ApplicationRound, RoundEntry, RoundMove
    from firms.models import FirmInvitation, FirmRegistration
    from incentives.models import Appropriation, AppropriationAdjustment, FundingLine, Reward

    AppropriationAdjustment.objects.all().delete()
    Appropriation.objects.all().delete()
    FundingLine.objects.all().delete()
    Reward.objects.all().delete()
    RoundMove.objects.all().delete()
    RoundEntry.objects.all().delete()
    ApplicationRound.objects.all().delete()
    FirmInvitation.objects.all().delete()
    FirmRegistration.objects.all().delete()
    AuditLog.objects.all().delete()
    from enterprises.models import FirmSubmission, SubmissionFile

    SubmissionFile.objects.all().delete()
    FirmSubmission.objects.all().delete()
    User.objects.filter(role="enterprise").delete()
    Enterprise.objects.all().delete()
    User.objects.all().delete()
    seed()
    assert fingerprint() == first


def test_a_bigger_run_adds_to_a_smaller_one():
    seed(2)
    small = set(Enterprise.objects.values_list("credit_code", flat=True))
    seed(3)
    big = set(Enterprise.objects.values_list("credit_code", flat=True))
    assert small < big
    assert len(big) == 3 * len(JURISDICTION_CODES)


def test_rows_made_by_users_are_left_alone():
    own = EnterpriseFactory(name="安阳用户自建科技有限公司", notes="用户录入")
    before = model_to_dict(Enterprise.objects.get(pk=own.pk))
    updated_at = own.updated_at
    seed()
    own.refresh_from_db()
    assert model_to_dict(own) == before
    assert own.updated_at == updated_at
    assert Enterprise.objects.count() == 3 * len(JURISDICTION_CODES) + 1


def test_every_jurisdiction_and_every_stage_is_covered():
    seed()
    for juris in Jurisdiction.objects.filter(code__in=JURISDICTION_CODES):
        assert juris.enterprises.count() == 3, juris
    assert set(Enterprise.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(Qualification.objects.values_list("kind", flat=True)) == set(QualificationKind.values)


def test_the_situations_a_demo_needs_are_present():
    seed()
    today = dates.today()
    assert Enterprise.objects.expiring_within(today, 12).exists()
    assert Qualification.objects.filter(revoked_on__isnull=False).exists()
    assert Qualification.objects.filter(kind=QualificationKind.HTE, expires_on__lt=today).exists()
    assert Enterprise.objects.with_overdue_milestones(today).exists()
    assert LedgerMilestone.objects.filter(done_on__isnull=False).exists()
    assert ServiceVisit.objects.exists()
    assert set(Enterprise.objects.values_list("hte_ready", flat=True)) >= {True, False}
    assert (
        Enterprise.objects.filter(figures__isnull=True).exists()
        or AnnualFigures.objects.filter(hightech_revenue__isnull=True).exists()
    )
    assert not LedgerMilestone.objects.filter(done_on__gt=today).exists()
    assert not Qualification.objects.filter(granted_on__gt=today).exists()
    assert not ServiceVisit.objects.filter(visited_on__gt=today).exists()


def test_credit_codes_are_valid_and_carry_the_region():
    seed()
    for code, juris in Enterprise.objects.values_list("credit_code", "jurisdiction__code"):
        assert uscc.is_valid(code), code
        assert code[2:8] == ("410500" if juris == "410599" else juris), code


def test_derived_fields_match_what_the_services_compute():
    seed()
    today = dates.today()
    for enterprise in Enterprise.objects.prefetch_related("figures"):
        assert enterprise.name_initials == name_initials(enterprise.name)
        stored = (enterprise.stage, enterprise.hte_ready, enterprise.tsme_score)
        services.enterprise_refresh_stage(enterprise=enterprise, on=today)
        services.enterprise_refresh_readiness(enterprise=enterprise)
        assert (enterprise.stage, enterprise.hte_ready, enterprise.tsme_score) == stored, enterprise
        assert enterprise.history.count() == 1
    for q in Qualification.objects.all():
        assert q.expires_on == services.qualification_expiry(q.kind, q.granted_on)
    for row in AnnualFigures.objects.exclude(st_staff_count__isnull=True).exclude(rd_expense__isnull=True):
        assert row.st_staff_count <= row.staff_count
        assert row.rd_expense_domestic <= row.rd_expense


def test_demo_accounts_exist_and_can_log_in(client):
    output = seed()
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.role == account.role
        assert (user.jurisdiction.code if user.jurisdiction else None) == account.jurisdiction_code
        assert user.display_name == account.display_name
        assert user.is_superuser == user.is_staff == (account.username == "admin")
        assert client.login(request=HttpRequest(), username=account.username, password=DEMO_PASSWORD)
        client.logout()
        assert account.username in output
    assert DEMO_PASSWORD in output


def test_a_changed_demo_password_is_reset(client):
    seed()
    user = User.objects.get(username="reviewer")
    user.set_password("something-else-1")
    user.save()
    seed()
    assert client.login(request=HttpRequest(), username="reviewer", password=DEMO_PASSWORD)


@override_settings(PORTAL_ENVIRONMENT="production")
def test_refuses_under_production_settings():
    with pytest.raises(CommandError, match="demo accounts never reach a real server"):
        seed()
    assert not Enterprise.objects.exists()
    assert not User.objects.exists()


def test_rejects_a_count_out_of_range():
    with pytest.raises(CommandError):
        seed(0)


def test_plans_do_not_depend_on_the_database_state():
    first = [p.enterprise.credit_code for p in plan_all(per_jurisdiction=2, today=dates.today())]
    seed(2)
    second = [p.enterprise.credit_code for p in plan_all(per_jurisdiction=2, today=dates.today())]
    assert first == second


def test_default_run_is_a_few_hundred_enterprises_and_quick():
    started = time.monotonic()
    output = seed(None)
    elapsed = time.monotonic() - started
    assert Enterprise.objects.count() == 30 * len(JURISDICTION_CODES)
    for juris in Jurisdiction.objects.filter(code__in=JURISDICTION_CODES):
        assert juris.enterprises.count() == 30
    assert AnnualFigures.objects.count() > 2 * Enterprise.objects.count()
    assert len(set(Enterprise.objects.values_list("name", flat=True))) == Enterprise.objects.count()
    assert "330 enterprises created" in output
    assert elapsed < 30


def test_demo_has_rewards_in_flight_for_the_walk_through():
    from incentives.models import Reward

    seed(12)
    statuses = set(Reward.objects.values_list("status", flat=True))
    assert {"generated", "submitted", "approved"} <= statuses
    before = list(Reward.objects.order_by("pk").values_list("pk", "status"))
    seed(12)
    assert list(Reward.objects.order_by("pk").values_list("pk", "status")) == before


def test_seed_demo_publishes_the_approved_rewards_with_an_ended_period(db):
    """公示 before payment: the demo's approved rewards are in a 公示 whose period has ended (so finance
    can pay them in a walk-through), listed on the public page; a second run publishes nothing again."""
    from anyang_hte.core.dates import today
    from incentives.models import Publicity, Reward
    from incentives.publicity_selectors import holds

    seed(8)
    approved = set(Reward.objects.filter(status=Reward.Status.APPROVED).values_list("pk", flat=True))
    assert approved, Reward.objects.values_list("status", flat=True)
    publicity = Publicity.objects.get()
    assert set(publicity.entries.values_list("reward_id", flat=True)) == approved
    assert publicity.ends_on < today() and publicity.published_on < publicity.starts_on
    assert not holds(approved, paid_on=today())
    seed(8)
    assert Publicity.objects.count() == 1
