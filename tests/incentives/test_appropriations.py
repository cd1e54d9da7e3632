"""专项经费: recorded and adjusted by the bureau, every figure checked by hand; approving and batching held
to the balance, with the figures in the refusal and the override on the record; the pages."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Right, Role, has_right
from incentives import balances, services
from incentives.models import (
    Appropriation,
    AppropriationAdjustment,
    BalanceOverride,
    FundingLine,
    FundingSource,
    PayoutBatch,
    Reward,
)
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import (
    AppropriationFactory,
    PayoutBatchFactory,
    RewardWithLinesFactory,
    with_papers,
)

pytestmark = pytest.mark.django_db

WF, LZ = "410502", "410581"
Y = 2026
GRANTED = datetime.date(Y, 3, 1)
DAY = datetime.date(Y, 2, 20)
L = FundingLine.Status


def wan(n) -> Decimal:
    return (Decimal(n) * 10000).quantize(Decimal("0.01"))


@pytest.fixture
def submitter(db):
    return UserFactory(username="ap_county", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF))


@pytest.fixture
def city_finance(db):
    return UserFactory(username="ap_fin", role=Role.CITY_FINANCE, jurisdiction=None)


@pytest.fixture
def wf_finance(db):
    return UserFactory(username="ap_wf_fin", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF))


def submitted(submitter, code=WF, granted_on=GRANTED) -> Reward:
    """A submitted HTE_NEW reward of ``granted_on``'s year: 15 万 city + 15 万 county, pending; its papers
    complete (approving checks them before the money)."""
    return with_papers(
        RewardWithLinesFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code)),
            qualification__granted_on=granted_on,
            status=Reward.Status.SUBMITTED,
            submitted_by=submitter,
        )
    )


def approved(code=WF, granted_on=GRANTED) -> Reward:
    return RewardWithLinesFactory(
        enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code)),
        qualification__granted_on=granted_on,
        status=Reward.Status.APPROVED,
    )


def city(amount, year=Y) -> Appropriation:
    return AppropriationFactory(year=year, amount=amount, document=f"安财预〔{year}〕1号")


def county(amount, code=WF, year=Y) -> Appropriation:
    return AppropriationFactory(
        year=year, source=FundingSource.COUNTY, jurisdiction=jurisdiction(code), amount=amount
    )


class TestRecording:
    def test_only_the_bureau_records(self):
        assert has_right(
            UserFactory(username="r1", role=Role.TECH_REVIEWER, jurisdiction=None), "appropriation.manage"
        )
        for role in (Role.CITY_FINANCE, Role.COUNTY_FINANCE, Role.ADMIN, Role.COUNTY_OFFICIAL):
            assert not has_right(UserFactory(username=f"x_{role}", role=role), Right.APPROPRIATION_MANAGE)

    def test_record_once_per_year_and_source(self, reviewer):
        first = services.appropriation_record(
            year=Y, source="city", jurisdiction=None, amount=wan(500), document="安财预〔2026〕1号",
            issued_on=DAY, by=reviewer,
        )  # fmt: skip
        assert first.amount == wan(500) and first.recorded_by == reviewer
        with pytest.raises(DomainError) as exc:
            services.appropriation_record(
                year=Y,
                source="city",
                jurisdiction=None,
                amount=wan(1),
                document="x",
                issued_on=DAY,
                by=reviewer,
            )
        assert (
            exc.value.field == "year"
            and "安财预〔2026〕1号" in exc.value.message
            and "调整" in exc.value.message
        )
        # each county's own money is its own fund
        services.appropriation_record(
            year=Y, source="county", jurisdiction=jurisdiction(WF), amount=wan(60), document="文财预1号",
            issued_on=DAY, by=reviewer,
        )  # fmt: skip
        assert AuditLog.objects.filter(action="incentives.appropriation.recorded").count() == 2

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"source": "city", "jurisdiction": "WF"}, "jurisdiction"),
            ({"source": "county", "jurisdiction": None}, "jurisdiction"),
            ({"amount": Decimal("0")}, "amount"),
            ({"document": "  "}, "document"),
            ({"year": 1999}, "year"),
        ],
    )
    def test_refusals_name_the_field(self, reviewer, kwargs, field):
        data = {
            "year": Y,
            "source": "city",
            "jurisdiction": None,
            "amount": wan(10),
            "document": "d",
            "issued_on": DAY,
        }
        data.update(kwargs)
        if data["jurisdiction"] == "WF":
            data["jurisdiction"] = jurisdiction(WF)
        with pytest.raises(DomainError) as exc:
            services.appropriation_record(by=reviewer, **data)
        assert exc.value.field == field and exc.value.message
        assert not Appropriation.objects.exists()

    def test_adjustments_are_rows_and_never_edit_the_original(self, reviewer):
        appropriation = city(wan(100))
        services.appropriation_adjust(
            appropriation=appropriation,
            amount=wan(30),
            document="追1号",
            issued_on=DAY,
            reason="追加",
            by=reviewer,
        )
        services.appropriation_adjust(
            appropriation=appropriation,
            amount=wan(-20),
            document="减1号",
            issued_on=DAY,
            reason="调减",
            by=reviewer,
        )
        appropriation.refresh_from_db()
        assert appropriation.amount == wan(100)
        assert list(appropriation.adjustments.values_list("amount", flat=True)) == [wan(30), wan(-20)]
        [status] = balances.fund_statuses([balances.Fund(Y, "city")]).values()
        assert (status.original, status.adjusted, status.appropriated) == (wan(100), wan(10), wan(110))
        with pytest.raises(DomainError) as exc:
            services.appropriation_adjust(
                appropriation=appropriation,
                amount=wan(-111),
                document="减2号",
                issued_on=DAY,
                reason="x",
                by=reviewer,
            )
        assert "负数" in exc.value.message and "110.00" in exc.value.message
        for bad, field in (({"amount": Decimal("0")}, "amount"), ({"reason": " "}, "reason")):
            data = {"amount": wan(1), "document": "d", "issued_on": DAY, "reason": "r"} | bad
            with pytest.raises(DomainError) as exc:
                services.appropriation_adjust(appropriation=appropriation, by=reviewer, **data)
            assert exc.value.field == field
        assert AppropriationAdjustment.objects.count() == 2


class TestFigures:
    def test_each_figure_by_hand(self, reviewer):
        """City 2026: 100 万 + 20 万 追加. Lines of 2026 (city share 15 万 each): one pending, one approved,
        one batched, one paid, one cancelled; a 2025 line does not count."""
        appropriation = city(wan(100))
        AppropriationAdjustment.objects.create(
            appropriation=appropriation,
            amount=wan(20),
            document="追",
            issued_on=DAY,
            reason="r",
            recorded_by=reviewer,
        )
        batch = PayoutBatchFactory(status=PayoutBatch.Status.LOCKED)
        for status in (L.PENDING, L.APPROVED, L.BATCHED, L.PAID, L.CANCELLED):
            reward = approved()
            reward.lines.filter(source="city").update(
                status=status, batch=batch if status in (L.BATCHED, L.PAID) else None
            )
            if status == L.PAID:
                from tests.incentives.factories import PaymentFactory

                PaymentFactory(line=reward.lines.get(source="city"))
        approved(granted_on=datetime.date(2025, 6, 1))
        [st] = balances.fund_statuses([balances.Fund(Y, "city")]).values()
        assert st.label == "2026年市级专项经费"
        assert st.appropriated == wan(120)
        assert st.committed == wan(60)  # pending, approved, batched, paid
        assert st.approved == wan(45)
        assert st.in_batches == wan(30)
        assert st.paid == wan(15)
        assert st.balance == wan(75) and st.payable == wan(90)

    def test_a_county_sees_its_own_fund_only(self):
        city(wan(100))
        county(wan(50))
        county(wan(40), code=LZ)
        wf = UserFactory(username="f_wf", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF))
        rows = balances.visible_statuses(wf, year=Y)
        assert [(st.source, st.jurisdiction_name) for st in rows] == [("county", "文峰区")]
        everything = balances.visible_statuses(
            UserFactory(username="f_c", role=Role.CITY_FINANCE, jurisdiction=None), year=Y
        )
        assert len(everything) == 3 and everything[0].source == "city"


class TestApprovalHeldToTheBalance:
    def test_refused_with_the_figures(self, reviewer, submitter):
        city(wan(12))
        county(wan(100))
        reward = submitted(submitter)
        with pytest.raises(services.BalanceShortError) as exc:
            services.reward_approve(reward=reward, by=reviewer)
        assert "2026年市级专项经费余额 12.00 万元，本次需 15.00 万元。" in exc.value.message
        assert "文峰区" not in exc.value.message  # the county's money has room
        reward.refresh_from_db()
        assert reward.status == Reward.Status.SUBMITTED
        assert set(reward.lines.values_list("status", flat=True)) == {L.PENDING}
        assert not BalanceOverride.objects.exists()

    def test_no_appropriation_recorded_is_refused_too(self, reviewer, submitter):
        reward = submitted(submitter)
        with pytest.raises(services.BalanceShortError) as exc:
            services.reward_approve(reward=reward, by=reviewer)
        assert "尚未录入2026年市级专项经费，本次需 15.00 万元。" in exc.value.message
        assert "尚未录入2026年文峰区专项经费" in exc.value.message

    def test_within_the_balance_it_goes_through_and_the_balance_falls(self, reviewer, submitter):
        city(wan(30))
        county(wan(15))
        services.reward_approve(reward=submitted(submitter), by=reviewer)
        statuses = balances.fund_statuses(
            [balances.Fund(Y, "city"), balances.Fund(Y, "county", jurisdiction(WF).pk)]
        )
        assert [st.balance for st in sorted(statuses.values(), key=lambda s: s.source)] == [wan(15), wan(0)]
        # the county's fund is now exhausted: the next one is refused for the county's share only
        with pytest.raises(services.BalanceShortError) as exc:
            services.reward_approve(reward=submitted(submitter), by=reviewer)
        assert "2026年文峰区专项经费余额 0.00 万元，本次需 15.00 万元。" in exc.value.message
        assert "市级" not in exc.value.message

    def test_override_with_a_reason_is_recorded(self, reviewer, submitter):
        city(wan(12))
        county(wan(100))
        reward = submitted(submitter)
        services.reward_approve(reward=reward, by=reviewer, comment="同意", override_reason="追加经费已报批")
        reward.refresh_from_db()
        assert reward.status == Reward.Status.APPROVED
        [override] = BalanceOverride.objects.all()
        assert (override.kind, override.year, override.source, override.jurisdiction_id) == (
            "approval",
            Y,
            "city",
            None,
        )
        assert (override.balance, override.needed, override.reason) == (wan(12), wan(15), "追加经费已报批")
        assert override.reward == reward and override.by == reviewer
        assert AuditLog.objects.filter(action="incentives.appropriation.overridden").count() == 1
        assert "超出专项经费余额批准：追加经费已报批" in reward.decisions.last().comment
        [st] = balances.fund_statuses([balances.Fund(Y, "city")]).values()
        assert st.balance == wan(-3)

    def test_the_guard_comes_before_the_balance(self, submitter):
        county_official = UserFactory(
            username="co2", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF)
        )
        with pytest.raises(DomainError) as exc:
            services.reward_approve(reward=submitted(submitter), by=county_official, override_reason="x")
        assert "审核员" in exc.value.message
        assert not BalanceOverride.objects.exists()


class TestBatchHeldToThePayableAmount:
    def test_batching_beyond_what_is_left_is_refused_then_overridden(self, city_finance):
        city(wan(20))
        first, second = approved(), approved()  # 30 万 of city money approved over a 20 万 appropriation
        batch = services.batch_create(by=city_finance, name="第一批", source="city")
        assert (
            services.batch_add_lines(
                batch=batch, lines_or_ids=[first.lines.get(source="city")], by=city_finance
            )
            == 1
        )
        line = second.lines.get(source="city")
        with pytest.raises(services.BalanceShortError) as exc:
            services.batch_add_lines(batch=batch, lines_or_ids=[line], by=city_finance)
        assert "2026年市级专项经费可编入批次的余额 5.00 万元" in exc.value.message
        assert "本次需 15.00 万元" in exc.value.message
        line.refresh_from_db()
        assert line.status == L.APPROVED and line.batch is None
        with pytest.raises(services.BalanceShortError):
            services.batch_add_matching(batch=batch, by=city_finance)
        assert (
            services.batch_add_matching(batch=batch, by=city_finance, override_reason="财政已同意垫付") == 1
        )
        [override] = BalanceOverride.objects.all()
        assert (override.kind, override.batch, override.needed, override.balance) == (
            "batch",
            batch,
            wan(15),
            wan(5),
        )

    def test_a_county_batch_counts_against_its_own_county(self, wf_finance):
        county(wan(15))
        county(wan(0.01), code=LZ)
        reward = approved()
        batch = services.batch_create(by=wf_finance, name="文峰", source="county")
        assert services.batch_add_matching(batch=batch, by=wf_finance) == 1
        assert reward.lines.get(source="county").status == L.BATCHED


class TestPages:
    def test_record_an_appropriation_through_the_form(self, client, reviewer):
        client.force_login(reviewer)
        url = reverse("incentives:appropriation_create")
        assert client.get(url).status_code == 200
        # refused: a county fund without its county keeps what was typed and marks the field
        response = client.post(
            url,
            {
                "year": Y,
                "source": "county",
                "amount": "80",
                "document": "安财预〔2026〕3号",
                "issued_on": "2026-02-20",
            },
        )
        body = response.content.decode()
        assert (
            response.status_code == 200
            and "县区专项经费请选择所属县区" in body
            and "安财预〔2026〕3号" in body
        )
        response = client.post(
            url,
            {
                "year": Y,
                "source": "county",
                "jurisdiction": jurisdiction(WF).pk,
                "amount": "80",
                "document": "安财预〔2026〕3号",
                "issued_on": "2026-02-20",
            },
        )
        appropriation = Appropriation.objects.get()
        assert response.status_code == 302 and response["Location"] == appropriation.get_absolute_url()
        assert appropriation.amount == wan(80)
        adjust = reverse("incentives:appropriation_adjust", args=[appropriation.pk])
        response = client.post(
            adjust, {"amount": "-20", "document": "减", "issued_on": "2026-06-01", "reason": "压减"}
        )
        assert response.status_code == 302
        body = client.get(appropriation.get_absolute_url()).content.decode()
        assert "2026年文峰区专项经费" in body and "压减" in body and "60.00" in body

    def test_finance_cannot_record(self, client, city_finance):
        client.force_login(city_finance)
        assert client.get(reverse("incentives:appropriation_create")).status_code == 403

    def test_list_filters_totals_and_export(self, client, reviewer):
        city(wan(100))
        county(wan(50))
        county(wan(40), code=LZ)
        city(wan(70), year=2025)
        approved()
        client.force_login(reviewer)
        url = reverse("incentives:appropriation_list")
        body = client.get(url, {"year": Y}).content.decode()
        assert body.count('data-testid="appropriation-row"') == 3
        assert "190.00" in body  # 100 + 50 + 40
        assert (
            client.get(url, {"year": Y, "source": "county"})
            .content.decode()
            .count('data-testid="appropriation-row"')
            == 2
        )
        bad = client.get(url, {"year": "abc"}).content.decode()
        assert "errorlist" in bad
        export = client.get(reverse("incentives:appropriation_export", args=["csv"]), {"year": Y})
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
        assert rows[0][:3] == ["年度", "资金来源", "县区"]
        assert rows[-1][0] == "合计" and rows[-1][6] == "1900000.00" and rows[-1][8] == "300000.00"
        assert len(rows) == 1 + 3 + 1

    def test_county_finance_sees_its_own_county_only(self, client, wf_finance):
        own, other, town = county(wan(50)), county(wan(40), code=LZ), city(wan(100))
        client.force_login(wf_finance)
        assert client.get(own.get_absolute_url()).status_code == 200
        assert client.get(other.get_absolute_url()).status_code == 404
        assert client.get(town.get_absolute_url()).status_code == 404
        body = client.get(reverse("incentives:appropriation_list")).content.decode()
        assert body.count('data-testid="appropriation-row"') == 1

    def test_every_money_page_shows_the_fund(self, client, reviewer, city_finance, submitter):
        city(wan(12))
        county(wan(100))
        reward = submitted(submitter)
        client.force_login(reviewer)
        body = client.get(reverse("incentives:budget"), {"year": Y}).content.decode()
        assert 'data-testid="funds"' in body and "2026年市级专项经费" in body
        body = client.get(reward.get_absolute_url()).content.decode()
        assert 'data-testid="funds"' in body and 'data-testid="balance-short"' in body
        assert (
            "2026年市级专项经费余额 12.00 万元，本次需 15.00 万元。" in body
            and 'name="override_reason"' in body
        )
        # the approval form posts the override
        response = client.post(
            reverse("incentives:reward_review", args=[reward.pk]),
            {"action": "approve", "comment": "", "override": "on", "override_reason": "追加已报批"},
        )
        assert response.status_code == 302
        reward.refresh_from_db()
        assert reward.status == Reward.Status.APPROVED
        body = client.get(reward.get_absolute_url()).content.decode()
        assert 'data-testid="balance-short"' not in body and "-3.00" in body
        client.force_login(city_finance)
        body = client.get(reverse("incentives:line_list")).content.decode()
        assert "2026年市级专项经费" in body and 'data-testid="batch-override"' in body

    def test_approval_without_override_is_refused_on_the_page(self, client, reviewer, submitter):
        city(wan(12))
        county(wan(100))
        reward = submitted(submitter)
        client.force_login(reviewer)
        response = client.post(
            reverse("incentives:reward_review", args=[reward.pk]),
            {"action": "approve", "comment": ""},
            follow=True,
        )
        assert "2026年市级专项经费余额 12.00 万元，本次需 15.00 万元。" in response.content.decode()
        reward.refresh_from_db()
        assert reward.status == Reward.Status.SUBMITTED

    def test_batch_refused_leaves_no_empty_batch(self, client, city_finance):
        city(wan(10))
        reward = approved()
        Reward.objects.filter(pk=reward.pk).update(approved_at=timezone.now())
        client.force_login(city_finance)
        response = client.post(reverse("incentives:batch_create"), {"name": "第一批"}, follow=True)
        assert "可编入批次的余额 10.00 万元" in response.content.decode()
        assert not PayoutBatch.objects.exists()
        client.post(
            reverse("incentives:batch_create"),
            {"name": "第一批", "override": "on", "override_reason": "垫付"},
        )
        assert PayoutBatch.objects.get().lines.count() == 1

    def test_batch_print_view(self, client, city_finance):
        city(wan(100))
        reward = approved()
        reward.enterprise.bank_account_holder = "瑞达公司基本户"
        reward.enterprise.save()
        batch = services.batch_create(by=city_finance, name="打印批次", source="city")
        services.batch_add_matching(batch=batch, by=city_finance)
        client.force_login(city_finance)
        body = client.get(reverse("incentives:batch_print", args=[batch.pk])).content.decode()
        assert "瑞达公司基本户" in body and 'data-testid="signature-block"' in body
        assert "制表人" in body and "审核人" in body and "负责人" in body and "壹拾伍万元整" in body
        assert "<form" not in body and "portal-nav" not in body
        detail = client.get(reverse("incentives:batch_detail", args=[batch.pk])).content.decode()
        assert (
            "css/batch_detail.css" in detail  # its print rules: a static file (no inline style under the CSP)
            and "@media print"
            in (settings.BASE_DIR / "static" / "css" / "batch_detail.css").read_text(encoding="utf-8")
            and 'data-testid="signature-block"' in detail
            and "瑞达公司基本户" in detail
        )
