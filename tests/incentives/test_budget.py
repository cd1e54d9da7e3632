"""The budget view: committed, approved, paid and recovered money, every number checked by hand."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import AnonymousUser

from anyang_hte.core.exporters import export_response
from anyang_hte.core.roles import Role
from incentives.models import FundingLine, FundingSource, Payment, PayoutBatch, Recovery, Reward, RewardRule
from incentives.selectors import BudgetExporter, budget_summary
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import PayoutBatchFactory, RewardFactory

WF, LZ = "410502", "410581"
Y24, Y25 = datetime.date(2024, 11, 30), datetime.date(2025, 12, 10)
L = FundingLine.Status
K = Decimal("1000")


def k(n) -> Decimal:
    """Thousands of yuan, exactly: k(150) == Decimal("150000.00")."""
    return (Decimal(n) * K).quantize(Decimal("0.01"))


@pytest.fixture
def ledger(db):
    """Six rewards in 文峰 and 林州 under HTE_NEW and LITTLE_GIANT, over 2024 and 2025.

    R1 WF HTE 2024: city paid, county paid with an open recovery of 150k
    R2 WF LG  2025: city batched
    R3 LZ HTE 2025: city approved, county pending
    R4 LZ HTE 2024: cancelled (both lines)
    R5 LZ LG  2024: city paid, recovered 300k
    R6 WF HTE 2025: city paid, county approved
    """
    finance = UserFactory(username="fixture_fin", role=Role.CITY_FINANCE, jurisdiction=None)
    batches = {
        None: PayoutBatchFactory(status=PayoutBatch.Status.LOCKED, created_by=finance),
        WF: PayoutBatchFactory(
            source="county",
            jurisdiction=jurisdiction(WF),
            status=PayoutBatch.Status.LOCKED,
            created_by=finance,
        ),
    }

    def reward(code, rule, granted_on, *, city, county=None, reward_status=Reward.Status.APPROVED):
        rule = RewardRule.objects.get(code=rule)
        r = RewardFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(code)),
            rule=rule,
            qualification__granted_on=granted_on,
            status=reward_status,
        )
        for source, status, amount in (
            (FundingSource.CITY, city, rule.city_amount),
            (FundingSource.COUNTY, county, rule.county_amount),
        ):
            if status is None:
                continue
            batch = None
            if status in (L.BATCHED, L.PAID):
                batch = batches[None] if source == FundingSource.CITY else batches[code]
            line = FundingLine.objects.create(
                reward=r,
                source=source,
                jurisdiction=r.jurisdiction,
                amount=amount,
                status=status,
                batch=batch,
            )
            if status == L.PAID:
                Payment.objects.create(
                    line=line,
                    amount=amount,
                    paid_on=datetime.date(2026, 1, 5),
                    reference="P",
                    recorded_by=finance,
                )
        return r

    def recover(r, source, status):
        payment = Payment.objects.get(line__reward=r, line__source=source)
        Recovery.objects.create(payment=payment, amount=payment.amount, reason="资质撤销", status=status)

    r1 = reward(WF, "HTE_NEW", Y24, city=L.PAID, county=L.PAID)
    recover(r1, "county", Recovery.Status.OPEN)
    reward(WF, "LITTLE_GIANT", Y25, city=L.BATCHED)
    reward(LZ, "HTE_NEW", Y25, city=L.APPROVED, county=L.PENDING, reward_status=Reward.Status.SUBMITTED)
    reward(LZ, "HTE_NEW", Y24, city=L.CANCELLED, county=L.CANCELLED, reward_status=Reward.Status.CANCELLED)
    r5 = reward(LZ, "LITTLE_GIANT", Y24, city=L.PAID)
    recover(r5, "city", Recovery.Status.RECOVERED)
    reward(WF, "HTE_NEW", Y25, city=L.PAID, county=L.APPROVED)


def amounts(row) -> tuple:
    return tuple(row[key] for key in ("committed", "approved", "paid", "recovered", "recovery_open", "lines"))


def key(row) -> tuple:
    return (row["rule_code"], row["source"], row["jurisdiction_code"], row["year"])


# (rule, source, jurisdiction, year): committed, approved, paid, recovered, open recoveries, lines
EXPECTED = {
    ("HTE_NEW", "city", WF, 2024): (k(150), k(150), k(150), k(0), k(0), 1),
    ("HTE_NEW", "city", WF, 2025): (k(150), k(150), k(150), k(0), k(0), 1),
    ("HTE_NEW", "city", LZ, 2025): (k(150), k(150), k(0), k(0), k(0), 1),
    ("HTE_NEW", "county", WF, 2024): (k(150), k(150), k(150), k(0), k(150), 1),
    ("HTE_NEW", "county", WF, 2025): (k(150), k(150), k(0), k(0), k(0), 1),
    ("HTE_NEW", "county", LZ, 2025): (k(150), k(0), k(0), k(0), k(0), 1),
    ("LITTLE_GIANT", "city", WF, 2025): (k(300), k(300), k(0), k(0), k(0), 1),
    ("LITTLE_GIANT", "city", LZ, 2024): (k(300), k(300), k(300), k(300), k(0), 1),
}
TOTAL = (k(1500), k(1350), k(750), k(300), k(150), 8)


@pytest.fixture
def users(db):
    return {
        "city_finance": UserFactory(username="cf", role=Role.CITY_FINANCE, jurisdiction=None),
        "reviewer": UserFactory(username="rv", role=Role.TECH_REVIEWER, jurisdiction=None),
        "admin": UserFactory(username="ad", role=Role.ADMIN, jurisdiction=None),
        "wf_finance": UserFactory(username="wff", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF)),
        "lz_official": UserFactory(username="lzo", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(LZ)),
        "no_role": UserFactory(username="nr", role="", jurisdiction=None),
    }


class TestSummary:
    def test_every_number(self, ledger, users, django_assert_num_queries):
        with django_assert_num_queries(2):
            rows = budget_summary(users["city_finance"])
        *groups, total = rows
        assert {key(r): amounts(r) for r in groups} == EXPECTED
        assert [key(r) for r in groups] == sorted(
            EXPECTED, key=lambda g: (g[0], g[1], g[2] != WF, g[3])
        )  # rule, source, county order (文峰 before 林州), year
        assert total["is_total"] and total["label"] == "合计"
        assert amounts(total) == TOTAL
        for row in rows:
            for name in ("committed", "approved", "paid", "recovered", "recovery_open"):
                assert isinstance(row[name], Decimal)
        names = {(r["jurisdiction_code"], r["jurisdiction_name"]) for r in groups}
        assert names == {(WF, "文峰区"), (LZ, jurisdiction(LZ).name)}
        assert {r["source_label"] for r in groups} == {"市级财政", "县区财政"}
        assert {r["rule_name"] for r in groups} == {"新认定高新技术企业奖励", "河南省科技小巨人企业奖励"}

    def test_totals_equal_the_sum_of_the_rows(self, ledger, users):
        *groups, total = budget_summary(users["reviewer"])
        for index in range(5):
            assert sum(amounts(r)[index] for r in groups) == amounts(total)[index]

    def test_by_year(self, ledger, users):
        rows = budget_summary(users["admin"], group_by=("year",))
        assert [(r["year"], amounts(r)) for r in rows[:-1]] == [
            (2024, (k(600), k(600), k(600), k(300), k(150), 3)),
            (2025, (k(900), k(750), k(150), k(0), k(0), 5)),
        ]
        assert amounts(rows[-1]) == TOTAL

    def test_by_source_and_rule(self, ledger, users):
        rows = budget_summary(users["city_finance"], group_by=("source",))
        assert [(r["source"], r["committed"], r["paid"]) for r in rows[:-1]] == [
            ("city", k(1050), k(600)),
            ("county", k(450), k(150)),
        ]
        rows = budget_summary(users["city_finance"], group_by=("rule",))
        assert [(r["rule_code"], r["committed"], r["recovered"]) for r in rows[:-1]] == [
            ("HTE_NEW", k(900), k(0)),
            ("LITTLE_GIANT", k(600), k(300)),
        ]

    def test_year_filter(self, ledger, users):
        rows = budget_summary(users["city_finance"], year=2024)
        assert {key(r) for r in rows[:-1]} == {g for g in EXPECTED if g[3] == 2024}
        assert amounts(rows[-1]) == (k(600), k(600), k(600), k(300), k(150), 3)
        assert amounts(budget_summary(users["city_finance"], year=2019)[-1]) == (k(0),) * 5 + (0,)

    def test_totals_only(self, ledger, users):
        rows = budget_summary(users["city_finance"], group_by=())
        assert len(rows) == 1 and amounts(rows[0]) == TOTAL

    def test_unknown_grouping_is_an_error(self, users):
        with pytest.raises(ValueError, match="grouping"):
            budget_summary(users["city_finance"], group_by=("enterprise",))


class TestScope:
    @pytest.mark.parametrize("user", ["city_finance", "reviewer", "admin"])
    def test_city_wide_roles_see_all(self, ledger, users, user):
        assert amounts(budget_summary(users[user])[-1]) == TOTAL

    def test_county_finance_sees_its_county(self, ledger, users):
        rows = budget_summary(users["wf_finance"])
        assert {key(r) for r in rows[:-1]} == {g for g in EXPECTED if g[2] == WF}
        # Both the city's and the county's share of 文峰's rewards: R1, R2, R6.
        assert amounts(rows[-1]) == (k(900), k(900), k(450), k(0), k(150), 5)

    def test_county_official_sees_its_county(self, ledger, users):
        rows = budget_summary(users["lz_official"])
        assert {r["jurisdiction_code"] for r in rows[:-1]} == {LZ}
        assert amounts(rows[-1]) == (k(600), k(450), k(300), k(300), k(0), 3)

    @pytest.mark.parametrize("who", ["no_role", "anonymous", "inactive"])
    def test_fails_closed(self, ledger, users, who):
        if who == "anonymous":
            user = AnonymousUser()
        elif who == "inactive":
            user = users["city_finance"]
            user.is_active = False
        else:
            user = users[who]
        rows = budget_summary(user)
        assert len(rows) == 1 and amounts(rows[0]) == (k(0),) * 5 + (0,)


class TestExport:
    def test_csv(self, ledger, users):
        rows = budget_summary(users["city_finance"], year=2024)
        response = export_response(BudgetExporter(rows, year=2024), "csv")
        text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
        lines = list(csv.reader(io.StringIO(text)))
        assert lines[0] == [
            "奖励事项",
            "资金来源",
            "县区",
            "年度",
            "已承诺(元)",
            "已批准(元)",
            "已拨付(元)",
            "已追回(元)",
            "待追回(元)",
            "笔数",
        ]
        assert lines[1] == [
            "新认定高新技术企业奖励",
            "市级财政",
            "文峰区",
            "2024",
            "150000.00",
            "150000.00",
            "150000.00",
            "0.00",
            "0.00",
            "1",
        ]
        assert lines[-1] == [
            "合计",
            "",
            "",
            "",
            "600000.00",
            "600000.00",
            "600000.00",
            "300000.00",
            "150000.00",
            "3",
        ]
        assert "奖励资金统计_2024_" in unquote(response["Content-Disposition"])

    def test_xlsx(self, ledger, users):
        from openpyxl import load_workbook

        rows = budget_summary(users["city_finance"], group_by=("jurisdiction",))
        response = export_response(BudgetExporter(rows, group_by=("jurisdiction",)), "xlsx")
        ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert [c.value for c in ws[2]][:2] == ["县区", "已承诺(元)"]
        assert [c.value for c in ws[3]][:2] == ["文峰区", 900000]
        assert ws[3][1].number_format == "#,##0.00"
        last = [c.value for c in ws[ws.max_row]]
        assert last[0] == "合计" and Decimal(str(last[1])) == k(1500)
