import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from anyang_hte.core.dates import today
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import SystemActor
from enterprises import services
from enterprises.identifiers import normalise_credit_code, validate_credit_code
from enterprises.models import Enterprise, QualificationKind, Stage
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction, make_credit_code

VALID = "91110000600037341L"
SYSTEM = SystemActor("test")


class TestCreditCode:
    def test_normalises_case_spaces_and_full_width(self):
        assert normalise_credit_code("　９１１１００００６０００３７３４１ｌ ") == VALID
        assert validate_credit_code(" 91110000600037341l\u3000") == VALID

    @pytest.mark.parametrize(
        ("raw", "check"),
        [
            ("91110000600037341M", "校验位"),
            ("9111000060003734", "长度"),
            ("91110000600O37341L", "字符集"),
            ("", "请填写"),
        ],
    )
    def test_refusal_names_the_check(self, raw, check):
        with pytest.raises(ValidationError) as exc:
            validate_credit_code(raw)
        assert check in exc.value.messages[0]


class TestEnterpriseCreate:
    def test_creates_with_initials_and_audit(self, county_official):
        ent = services.enterprise_create(
            credit_code=VALID.lower(),
            name="安阳市鑫源科技有限公司",
            jurisdiction=jurisdiction(),
            by=county_official,
        )
        assert ent.credit_code == VALID
        assert ent.name_initials == "aysxykjyxgs"
        assert AuditLog.objects.filter(
            action="enterprises.enterprise.created", object_id=str(ent.pk)
        ).exists()
        assert ent.history.count() == 1

    def test_duplicate_points_at_existing(self, county_official):
        existing = EnterpriseFactory(credit_code=VALID)
        with pytest.raises(services.DuplicateEnterprise) as exc:
            services.enterprise_create(
                credit_code=" " + VALID.lower(),
                name="另一个名字",
                jurisdiction=jurisdiction(),
                by=county_official,
            )
        assert exc.value.existing == existing

    def test_county_cannot_create_in_another_jurisdiction(self, county_official):
        with pytest.raises(DomainError):
            services.enterprise_create(
                credit_code=VALID, name="某公司", jurisdiction=jurisdiction("410581"), by=county_official
            )
        assert not Enterprise.objects.exists()

    def test_update_records_history_and_only_changes(self, county_official):
        ent = EnterpriseFactory()
        services.enterprise_update(enterprise=ent, by=county_official, helper_name="李四", name="新名称科技")
        ent.refresh_from_db()
        assert ent.helper_name == "李四" and ent.name_initials == "xmckj"
        latest = ent.history.first()
        assert latest.history_user == county_official
        before = AuditLog.objects.count()
        services.enterprise_update(enterprise=ent, by=county_official, helper_name="李四")
        assert AuditLog.objects.count() == before


class TestQualifications:
    @pytest.mark.parametrize(
        ("kind", "granted", "expires"),
        [
            ("tech_sme", datetime.date(2025, 4, 1), datetime.date(2025, 12, 31)),
            ("hte", datetime.date(2023, 11, 30), datetime.date(2026, 11, 29)),
            ("little_giant", datetime.date(2024, 2, 29), datetime.date(2027, 2, 27)),
            ("hte_candidate", datetime.date(2024, 5, 1), None),
            ("leading", datetime.date(2024, 5, 1), None),
        ],
    )
    def test_expiry_by_kind(self, kind, granted, expires):
        assert services.qualification_expiry(kind, granted) == expires

    def test_stage_is_the_furthest_valid_qualification(self, county_official):
        ent = EnterpriseFactory()
        day = today()
        services.qualification_record(
            enterprise=ent,
            kind=QualificationKind.TECH_SME,
            granted_on=day.replace(month=1, day=1),
            by=county_official,
        )
        assert Enterprise.objects.get(pk=ent.pk).stage == Stage.TECH_SME
        hte = services.qualification_record(
            enterprise=ent,
            kind=QualificationKind.HTE,
            granted_on=day - datetime.timedelta(days=30),
            by=county_official,
        )
        assert Enterprise.objects.get(pk=ent.pk).stage == Stage.HTE
        services.qualification_revoke(
            qualification=hte, revoked_on=day, reason="弄虚作假", by=county_official
        )
        assert Enterprise.objects.get(pk=ent.pk).stage == Stage.TECH_SME
        assert ent.qualifications.count() == 2  # history stays

    def test_expired_certificate_drops_the_stage_nightly(self, db):
        ent = EnterpriseFactory(stage=Stage.HTE)
        QualificationFactory(
            enterprise=ent,
            kind="hte",
            granted_on=datetime.date(2020, 1, 1),
            expires_on=datetime.date(2022, 12, 31),
        )
        assert services.refresh_all_stages(on=datetime.date(2026, 1, 1)) == 1
        assert Enterprise.objects.get(pk=ent.pk).stage == Stage.NONE
        assert services.refresh_all_stages(on=datetime.date(2026, 1, 1)) == 0

    def test_refuses_future_and_duplicate_grants(self, county_official):
        ent = EnterpriseFactory()
        with pytest.raises(DomainError):
            services.qualification_record(
                enterprise=ent,
                kind="hte",
                granted_on=today() + datetime.timedelta(days=1),
                by=county_official,
            )
        services.qualification_record(
            enterprise=ent, kind="hte", granted_on=datetime.date(2024, 1, 2), by=SYSTEM
        )
        with pytest.raises(DomainError):
            services.qualification_record(
                enterprise=ent, kind="hte", granted_on=datetime.date(2024, 1, 2), by=SYSTEM
            )


class TestFigures:
    def test_save_creates_then_updates_exact_decimals(self, county_official):
        ent = EnterpriseFactory()
        f = services.figures_save(
            enterprise=ent,
            year=2024,
            by=county_official,
            sales_revenue=Decimal("12345678.91"),
            staff_count=50,
        )
        assert f.sales_revenue == Decimal("12345678.91")
        services.figures_save(
            enterprise=ent, year=2024, by=county_official, sales_revenue=Decimal("12345678.92")
        )
        f.refresh_from_db()
        assert f.sales_revenue == Decimal("12345678.92") and f.staff_count == 50
        assert f.history.count() == 2

    def test_refuses_float_negative_and_inconsistent(self, county_official):
        ent = EnterpriseFactory()
        with pytest.raises(TypeError):
            services.figures_save(enterprise=ent, year=2024, by=SYSTEM, sales_revenue=1.5)
        with pytest.raises(DomainError):
            services.figures_save(enterprise=ent, year=2024, by=SYSTEM, rd_expense=Decimal("-1"))
        with pytest.raises(DomainError) as exc:
            services.figures_save(enterprise=ent, year=2024, by=SYSTEM, staff_count=5, st_staff_count=6)
        assert "科技人员数不能大于职工总数" in exc.value.message


class TestTimetableAndVisits:
    def test_milestone_and_visit(self, county_official):
        ent = EnterpriseFactory()
        m = services.milestone_create(
            enterprise=ent, title="建立研发辅助账", due_on=datetime.date(2020, 1, 1), by=county_official
        )
        from enterprises.models import LedgerMilestone

        assert LedgerMilestone.objects.overdue(today()).filter(pk=m.pk).exists()
        services.milestone_update(milestone=m, done_on=today(), by=county_official)
        assert not LedgerMilestone.objects.overdue(today()).exists()
        v = services.visit_create(
            enterprise=ent,
            visited_on=today(),
            visitors="王敏",
            problems="缺少知识产权",
            by=county_official,
        )
        assert v.created_by == county_official
        with pytest.raises(DomainError):
            services.visit_create(
                enterprise=ent,
                visited_on=today() + datetime.timedelta(days=2),
                visitors="王敏",
                by=SYSTEM,
            )


def test_factory_codes_are_valid():
    from stdnum.cn import uscc

    assert all(uscc.is_valid(make_credit_code(n)) for n in range(50))
