"""Every write service guards itself: called directly (as a command, a task, the admin or an API would),
without the right or from another county, it refuses with a reason and writes nothing.

``CASES`` lists each service with the office that holds the right (its other-county twin is refused by
scope) and an office that lacks it. ``test_every_write_service_has_a_case`` finds every public function
of the services modules that takes ``by`` and fails when one has no case here, so a new service
cannot land without its guard being tested.
"""

import datetime
import inspect
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from anyang_hte.core import notifications as core_notifications
from anyang_hte.core import services as core_services
from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Notification
from anyang_hte.core.roles import CLIENT_RIGHTS, ClientActor, Role, SystemActor
from api import services as api_services
from applications import services as rounds
from applications.models import ApplicationRound, RoundEntry
from assessment import services as assessment_services
from assessment.registers import services as register_services
from enterprises import services as ledger
from enterprises import submission_diff
from enterprises.importers import plan_ledger_import
from enterprises.models import (
    Distinction,
    Enterprise,
    FirmSubmission,
    Incident,
    InnovationDraft,
    IntellectualProperty,
)
from enterprises.services import submissions
from firms import services as firm_services
from firms.models import FirmInvitation, FirmRegistration
from incentives import services as incentives
from incentives.models import FundingLine, OfficialList, OfficialListRow, PayoutBatch, Reward, RewardRule
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    jurisdiction,
    make_credit_code,
)
from tests.incentives.factories import (
    AppropriationFactory,
    PaymentFactory,
    PayoutBatchFactory,
    RecoveryFactory,
    RewardDocumentFactory,
    RewardRuleFactory,
    RewardWithLinesFactory,
    fund_generously,
    publicized,
)

WF, LZ = "410502", "410581"
# Inside the bands of ``World.scorable`` (IP 7–8 for class I, conversions 13–18, growth 0).
POINTS = {
    "ip_advancement": 6,
    "ip_core_support": 6,
    "ip_quantity": 7,
    "ip_acquisition": 5,
    "ip_self_developed": True,
    "conversion": 15,
    "rd_management": 5,
    "rd_institution": 5,
    "conversion_system": 3,
    "talent": 3,
    "net_asset_growth": 0,
    "sales_growth": 0,
}
DAY = datetime.date(2026, 3, 2)
DAY_TIME = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
# What a firm user types on the figures form (万元, head counts), as the form posts it.
FIRM_FIGURES = {"year": "2024", "sales_revenue": "3100", "total_income": "3100", "staff_count": "101"}
C, CF, R, F, A = (
    Role.COUNTY_OFFICIAL,
    Role.COUNTY_FINANCE,
    Role.TECH_REVIEWER,
    Role.CITY_FINANCE,
    Role.ADMIN,
)
E = Role.ENTERPRISE  # a firm user; its "other county twin" is a firm user of another enterprise
API = "api_client"  # an API client (ClientActor) holding every scope a client can, bound to a county
NO_ROLE = ""  # an account with no role yet: holds no right at all

pytestmark = pytest.mark.django_db


def _firm_enterprise(code: str):
    """The enterprise a firm user of ``code``'s county acts for (made once; scorable like ``scorable``)."""
    credit_code = make_credit_code(99001 if code == WF else 99002, region=code)
    found = Enterprise.objects.filter(credit_code=credit_code).first()
    if found is not None:
        return found
    enterprise = EnterpriseFactory(
        credit_code=credit_code, jurisdiction=jurisdiction(code), registered_on=datetime.date(2015, 1, 1)
    )
    for year in (2023, 2024, 2025):
        FiguresFactory(enterprise=enterprise, year=year, conversions_count=3)
    return enterprise


def _user(role: str, code: str | None = WF):
    if role == API:
        place = jurisdiction(code)
        return ClientActor(name=f"g_api_{code}", client_id=0, rights=CLIENT_RIGHTS, jurisdiction_id=place.pk)
    if role == Role.ENTERPRISE:  # a firm user (企业用户): bound to its own enterprise, in ``code``'s county
        return UserFactory(
            username=f"g_firm_{code}", role=role, jurisdiction=None, enterprise=_firm_enterprise(code)
        )
    bound = role in (Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE)
    name = f"g_{role or 'none'}_{code if bound else 'city'}"
    return UserFactory(username=name, role=role, jurisdiction=jurisdiction(code) if bound else None)


def _ledger_file() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称"])
    ws.append([make_credit_code(77001), "安阳守门测试科技有限公司"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _list_file() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "企业名称", "统一社会信用代码", "证书编号"])
    ws.append([1, "外市某科技有限公司", "", "GR2025"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _published_file() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["县区/全市", "年度", "高新技术产业增加值（万元）", "规模以上工业增加值（万元）"])
    ws.append(["全市", 2025, "380000", "960000"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class World:
    """One county's (文峰区) records at every step, made without the services, each only when a case
    asks for it (a few factories per test, not all of them)."""

    @cached_property
    def api_client(self):
        return api_services.api_client_create(
            name="守门客户端", scopes=["enterprises:read"], city_wide=True, by=SystemActor("test")
        )[0]

    @cached_property
    def wf_finance(self):
        return _user(CF, WF)

    @cached_property
    def ent(self):
        return EnterpriseFactory(jurisdiction=jurisdiction(WF), bank_name="工行", bank_account="6222")

    @cached_property
    def ip_item(self):
        return IntellectualProperty.objects.create(
            enterprise=self.ent,
            kind="utility_model",
            title="一种装置",
            number="ZL2024G1",
            granted_on=datetime.date(2024, 3, 1),
            acquisition="self",
        )

    @cached_property
    def incident(self):
        return Incident.objects.create(
            enterprise=self.ent, kind="quality", occurred_on=datetime.date(2024, 5, 1)
        )

    @cached_property
    def distinction(self):
        return Distinction.objects.create(
            enterprise=self.ent, kind="standard_lead", title="行业标准", obtained_on=datetime.date(2023, 6, 1)
        )

    @cached_property
    def milestone(self):
        return MilestoneFactory(enterprise=self.ent)

    @cached_property
    def qualification(self):
        return QualificationFactory(enterprise=self.ent, granted_on=datetime.date(2024, 1, 5))

    @cached_property
    def generated(self):
        reward = RewardWithLinesFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF), bank_name="建行", bank_account="6227")
        )
        RewardDocumentFactory(reward=reward, kind="bank")
        RewardDocumentFactory(reward=reward, kind="certificate")  # ready to submit
        return reward

    @cached_property
    def document(self):
        return self.generated.documents.get(kind="certificate")

    @cached_property
    def submitted(self):
        reward = RewardWithLinesFactory(
            enterprise=EnterpriseFactory(
                jurisdiction=jurisdiction(WF), bank_name="农行", bank_account="6228"
            ),
            status=Reward.Status.SUBMITTED,
            submitted_by=UserFactory(username="g_submitter", role=C),
        )
        RewardDocumentFactory(reward=reward, kind="bank")
        RewardDocumentFactory(reward=reward, kind="certificate")  # complete: ready to approve
        return reward

    @cached_property
    def approved(self):
        return RewardWithLinesFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF)), status=Reward.Status.APPROVED
        )

    @cached_property
    def approved_county_line(self):
        return self.approved.lines.get(source="county")

    @cached_property
    def draft(self):
        """A county batch being made up, with one line in it (``draft_line``)."""
        batch = PayoutBatchFactory(source="county", jurisdiction=jurisdiction(WF), created_by=self.wf_finance)
        reward = RewardWithLinesFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF)), status=Reward.Status.APPROVED
        )
        reward.lines.filter(source="county").update(status=FundingLine.Status.BATCHED, batch=batch)
        return batch

    @cached_property
    def draft_line(self):
        return self.draft.lines.get(status=FundingLine.Status.BATCHED)

    @cached_property
    def locked(self):
        """A locked county batch with one line to pay (``to_pay_line``)."""
        batch = PayoutBatchFactory(
            source="county",
            jurisdiction=jurisdiction(WF),
            created_by=self.wf_finance,
            status=PayoutBatch.Status.LOCKED,
        )
        reward = RewardWithLinesFactory(
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF)), status=Reward.Status.APPROVED
        )
        reward.lines.filter(source="county").update(status=FundingLine.Status.BATCHED, batch=batch)
        publicized([reward])  # its 公示 has ended: the line may be paid
        return batch

    @cached_property
    def publicity_entry(self):
        """The approved reward's entry in a 公示 whose period has ended."""
        return publicized([self.approved]).entries.get()

    @cached_property
    def objection(self):
        from incentives.models import PublicityObjection

        return PublicityObjection.objects.create(
            entry=self.publicity_entry, received_on=DAY, content="不符合条件", recorded_by=_user(R, None)
        )

    @cached_property
    def to_pay_line(self):
        return self.locked.lines.get(status=FundingLine.Status.BATCHED)

    @cached_property
    def paid(self):
        return self.approved

    @cached_property
    def recovery(self):
        payment = PaymentFactory(line__source="county", line__batch=self.locked, recorded_by=self.wf_finance)
        return RecoveryFactory(payment=payment)

    @cached_property
    def plan(self):
        return plan_ledger_import(
            io.BytesIO(_ledger_file()), "台账.xlsx", jurisdiction=jurisdiction(WF), user=SystemActor("test")
        )

    @cached_property
    def row(self):
        official = OfficialList.objects.create(
            kind="hte", granted_on=datetime.date(2025, 11, 30), filename="l.xlsx", checksum="1" * 64
        )
        return OfficialListRow.objects.create(
            official_list=official,
            row_number=2,
            name="外市某科技有限公司",
            status=OfficialListRow.Status.UNMATCHED,
        )

    @cached_property
    def rule(self):
        return RewardRule.objects.get(code="HTE_NEW")

    @cached_property
    def appropriation(self):
        return AppropriationFactory(year=2030, amount=Decimal("5000000.00"))

    @cached_property
    def unused_rule(self):
        return RewardRuleFactory(code="GUARD", trigger_kind="tech_sme", effective_from=DAY)

    @cached_property
    def scorable(self):
        """An enterprise whose bands admit ``POINTS`` (class I IP, 3 conversions a year, flat growth)."""
        enterprise = EnterpriseFactory(jurisdiction=jurisdiction(WF), registered_on=datetime.date(2015, 1, 1))
        for year in (2023, 2024, 2025):
            FiguresFactory(enterprise=enterprise, year=year, conversions_count=3)
        return enterprise

    @cached_property
    def published_plan(self):
        from assessment.importers import plan_published_import

        return plan_published_import(io.BytesIO(_published_file()), "统计数据.xlsx", source="2025年统计公报")

    @cached_property
    def action_plan(self):
        from assessment.models import Plan

        return Plan.objects.get(document_number="安政办〔2017〕100号")

    @cached_property
    def invited(self):
        """A firm user the county invited for ``ent``, its password not yet set."""
        user = UserFactory(username="g_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=self.ent)
        user.set_unusable_password()
        user.save()
        FirmInvitation.objects.create(user=user, enterprise=self.ent, invited_by=_user(C, WF), email="f@x.cn")
        return user

    @cached_property
    def stopped(self):
        """A firm user of ``ent`` its county stopped."""
        user = UserFactory(
            username="g_firm_stopped",
            role=Role.ENTERPRISE,
            jurisdiction=None,
            enterprise=self.ent,
            is_active=False,
        )
        FirmInvitation.objects.create(user=user, enterprise=self.ent, invited_by=_user(C, WF), email="s@x.cn")
        return user

    @cached_property
    def registration(self):
        """A firm's pending self-registration in 文峰区, its code in no ledger yet."""
        return FirmRegistration.objects.create(
            user=UserFactory(username="g_registrant", role=Role.ENTERPRISE, jurisdiction=None),
            credit_code=make_credit_code(88003),
            name="自助注册科技有限公司",
            jurisdiction=jurisdiction(WF),
            contact_name="王经理",
            contact_phone="0372-5550000",
            email="reg@x.cn",
        )

    @cached_property
    def round(self):
        """The open application round, every deadline still ahead."""
        day = timezone.localdate()
        return ApplicationRound.objects.create(
            year=day.year,
            intention_deadline=day + datetime.timedelta(days=30),
            recommendation_deadline=day + datetime.timedelta(days=60),
            review_deadline=day + datetime.timedelta(days=90),
            opened_at=timezone.now(),
        )

    def _entry(self, status):
        return RoundEntry.objects.create(
            round=self.round,
            enterprise=EnterpriseFactory(jurisdiction=jurisdiction(WF)),
            status=status,
            declared_at=timezone.now(),
        )

    @cached_property
    def intention(self):
        return self._entry(RoundEntry.Status.INTENTION)

    @cached_property
    def recommended(self):
        return self._entry(RoundEntry.Status.RECOMMENDED)

    @cached_property
    def passed(self):
        return self._entry(RoundEntry.Status.PASSED)

    @cached_property
    def firm_ent(self):
        return _firm_enterprise(WF)

    @cached_property
    def firm_draft(self):
        return FirmSubmission.objects.create(
            enterprise=self.firm_ent, kind="figures", year=2024, data=FIRM_FIGURES, status="draft"
        )

    @cached_property
    def firm_submitted(self):
        return FirmSubmission.objects.create(
            enterprise=self.firm_ent,
            kind="figures",
            year=2025,
            data=FIRM_FIGURES | {"year": "2025"},
            status="submitted",
            submitted_at=DAY_TIME,
        )

    @cached_property
    def firm_file(self):
        """A supporting file the firm uploaded (through the service: the firm's own)."""
        return submissions.submission_file_add(
            enterprise=self.firm_ent,
            kind="audit_report",
            upload=SimpleUploadedFile("审计报告.pdf", b"%PDF-1.7\n"),
            by=_user(Role.ENTERPRISE, WF),
        )

    @cached_property
    def firm_innovation_draft(self):
        return InnovationDraft.objects.create(
            enterprise=self.firm_ent, application_year=2026, points=POINTS, drafted_at=DAY_TIME
        )

    @cached_property
    def notification(self):
        return Notification.objects.create(user=_user(C, WF), title="t")

    def prepare(self, case) -> None:
        """Make the records ``case`` uses before the database is fingerprinted (the names its call reads)."""
        for name in case.call.__code__.co_names:
            if isinstance(getattr(type(self), name, None), cached_property):
                getattr(self, name)


@pytest.fixture
def w(db):
    fund_generously(years=(2024,))  # the rewards' qualifications are of 2024: approving and batching fit
    return World()


@dataclass(frozen=True)
class Case:
    call: object  # (by, world) -> the service call
    holder: str  # the office that holds the right (in 文峰区 when county-bound)
    lacking: str  # an office without the right
    scoped: bool = True  # the record belongs to 文峰区: the holder's twin in 林州市 is refused too


CASES: dict[str, Case] = {
    # --- the ledger ---
    "enterprises.enterprise_create": Case(
        lambda by, w: ledger.enterprise_create(
            credit_code=make_credit_code(88001), name="新登记公司", jurisdiction=jurisdiction(WF), by=by
        ),
        C,
        F,
    ),
    "enterprises.enterprise_update": Case(
        lambda by, w: ledger.enterprise_update(enterprise=w.ent, name="改名公司", by=by), C, F
    ),
    "enterprises.figures_save": Case(
        lambda by, w: ledger.figures_save(enterprise=w.ent, year=2024, staff_count=9, by=by), C, R
    ),
    "enterprises.milestone_create": Case(
        lambda by, w: ledger.milestone_create(enterprise=w.ent, title="节点", due_on=DAY, by=by), C, F
    ),
    "enterprises.milestone_update": Case(
        lambda by, w: ledger.milestone_update(milestone=w.milestone, title="改了", by=by), C, CF
    ),
    "enterprises.visit_create": Case(
        lambda by, w: ledger.visit_create(enterprise=w.ent, visited_on=DAY, visitors="张三", by=by), C, F
    ),
    "enterprises.qualification_record": Case(
        lambda by, w: ledger.qualification_record(enterprise=w.ent, kind="hte", granted_on=DAY, by=by), C, F
    ),
    "enterprises.qualification_revoke": Case(
        lambda by, w: ledger.qualification_revoke(
            qualification=w.qualification, revoked_on=DAY, reason="撤销", by=by
        ),
        C,
        CF,
    ),
    "enterprises.apply_ledger_import": Case(lambda by, w: ledger.apply_ledger_import(w.plan, by=by), C, R),
    "enterprises.import_ledger_file": Case(
        lambda by, w: ledger.import_ledger_file(
            io.BytesIO(_ledger_file()), "台账.xlsx", jurisdiction=jurisdiction(WF), by=by
        ),
        C,
        R,
    ),
    # --- what the readiness verdict reads besides the figures ---
    "enterprises.ip_item_create": Case(
        lambda by, w: ledger.ip_item_create(
            enterprise=w.ent,
            kind="invention",
            title="一种方法",
            number="ZL2025G2",
            granted_on=datetime.date(2025, 2, 1),
            acquisition="self",
            by=by,
        ),
        C,
        R,
    ),
    "enterprises.ip_item_update": Case(
        lambda by, w: ledger.ip_item_update(item=w.ip_item, used_in_year=2025, by=by), C, F
    ),
    "enterprises.ip_item_delete": Case(
        lambda by, w: ledger.ip_item_delete(item=w.ip_item, reason="重复登记", by=by), C, CF
    ),
    "enterprises.incident_create": Case(
        lambda by, w: ledger.incident_create(
            enterprise=w.ent, kind="safety", occurred_on=datetime.date(2025, 8, 1), by=by
        ),
        C,
        R,
    ),
    "enterprises.incident_update": Case(
        lambda by, w: ledger.incident_update(incident=w.incident, note="已整改", by=by), C, F
    ),
    "enterprises.incident_delete": Case(
        lambda by, w: ledger.incident_delete(incident=w.incident, reason="误录", by=by), C, R
    ),
    "enterprises.distinction_create": Case(
        lambda by, w: ledger.distinction_create(
            enterprise=w.ent,
            kind="research_institution",
            title="省工程技术研究中心",
            obtained_on=datetime.date(2022, 1, 1),
            by=by,
        ),
        C,
        R,
    ),
    "enterprises.distinction_update": Case(
        lambda by, w: ledger.distinction_update(
            distinction=w.distinction, reference="豫科〔2023〕1号", by=by
        ),
        C,
        F,
    ),
    "enterprises.distinction_delete": Case(
        lambda by, w: ledger.distinction_delete(distinction=w.distinction, reason="误录", by=by), C, CF
    ),
    "enterprises.innovation_assessment_save": Case(
        lambda by, w: ledger.innovation_assessment_save(
            enterprise=w.scorable, application_year=2026, by=by, **POINTS
        ),
        C,
        R,
    ),
    # --- what a firm enters, its county confirms (企业填报、县区确认) ---
    "submissions.submission_save": Case(
        lambda by, w: submissions.submission_save(
            enterprise=w.firm_ent, kind="figures", data=FIRM_FIGURES, by=by, submit=True
        ),
        E,
        C,
    ),
    # ... or another system delivers for it (an API client with figures:submit)
    "submissions.submission_deliver": Case(
        lambda by, w: submissions.submission_deliver(
            enterprise=w.firm_ent, data=FIRM_FIGURES | {"year": "2023"}, by=by
        ),
        API,
        C,
    ),
    "submissions.submission_submit": Case(
        lambda by, w: submissions.submission_submit(submission=w.firm_draft, by=by), E, C
    ),
    "submissions.submission_withdraw": Case(
        lambda by, w: submissions.submission_withdraw(submission=w.firm_draft, by=by), E, C
    ),
    "submissions.submission_accept": Case(
        lambda by, w: submissions.submission_accept(
            submission=w.firm_submitted, by=by, seen=submission_diff.diff(w.firm_submitted).seen
        ),
        C,
        R,
    ),
    "submissions.submission_return": Case(
        lambda by, w: submissions.submission_return(submission=w.firm_submitted, by=by, reason="请补充"),
        C,
        E,
    ),
    "submissions.submission_file_remove": Case(
        lambda by, w: submissions.submission_file_remove(item=w.firm_file, by=by), E, C
    ),
    "submissions.submission_file_add": Case(
        lambda by, w: submissions.submission_file_add(
            enterprise=w.firm_ent,
            kind="audit_report",
            upload=SimpleUploadedFile("审计报告.pdf", b"%PDF-1.7\n"),
            by=by,
        ),
        E,
        C,
    ),
    "submissions.innovation_draft_save": Case(
        lambda by, w: submissions.innovation_draft_save(
            enterprise=w.firm_ent, application_year=2026, by=by, **POINTS
        ),
        E,
        C,
    ),
    "submissions.innovation_draft_adopt": Case(
        lambda by, w: submissions.innovation_draft_adopt(
            enterprise=w.firm_innovation_draft.enterprise, application_year=2026, by=by, points=POINTS
        ),
        C,
        F,
    ),
    # --- rewards from qualifications ---
    "incentives.rewards_for_qualification": Case(
        lambda by, w: incentives.rewards_for_qualification(qualification=w.qualification, by=by), C, F
    ),
    "incentives.rewards_on_qualification_revoked": Case(
        lambda by, w: incentives.rewards_on_qualification_revoked(qualification=w.qualification, by=by), C, F
    ),
    "incentives.rewards_run_all": Case(lambda by, w: incentives.rewards_run_all(by=by), R, F, scoped=False),
    # --- the county submits, the tech bureau reviews ---
    "incentives.reward_submit": Case(lambda by, w: incentives.reward_submit(reward=w.generated, by=by), C, R),
    "incentives.reward_document_add": Case(
        lambda by, w: incentives.reward_document_add(
            reward=w.generated,
            kind="bank",
            upload=SimpleUploadedFile("账户.pdf", b"%PDF-1.4\n%x\n", content_type="application/pdf"),
            by=by,
        ),
        C,
        R,
    ),
    "incentives.reward_document_remove": Case(
        lambda by, w: incentives.reward_document_remove(document=w.document, by=by), C, F
    ),
    "incentives.reward_return": Case(
        lambda by, w: incentives.reward_return(reward=w.submitted, reason="补材料", by=by), R, C, scoped=False
    ),
    "incentives.reward_reject": Case(
        lambda by, w: incentives.reward_reject(reward=w.submitted, reason="不符", by=by), R, C, scoped=False
    ),
    "incentives.reward_approve": Case(
        lambda by, w: incentives.reward_approve(reward=w.submitted, by=by), R, A, scoped=False
    ),
    "incentives.rewards_approve": Case(
        lambda by, w: incentives.rewards_approve(rewards=[w.submitted], by=by), R, A, scoped=False
    ),
    "incentives.reward_mark_paid_if_complete": Case(
        lambda by, w: incentives.reward_mark_paid_if_complete(reward=w.paid, by=by), CF, C
    ),
    "incentives.rewards_mark_paid_if_complete": Case(
        lambda by, w: incentives.rewards_mark_paid_if_complete(reward_ids=[w.paid.pk], by=by), CF, R
    ),
    # --- finance pays ---
    "incentives.batch_create": Case(
        lambda by, w: incentives.batch_create(
            name="批次", source="county", jurisdiction=jurisdiction(WF), by=by
        ),
        CF,
        R,
    ),
    "incentives.batch_add_lines": Case(
        lambda by, w: incentives.batch_add_lines(batch=w.draft, lines_or_ids=[w.approved_county_line], by=by),
        CF,
        F,
    ),
    "incentives.batch_add_matching": Case(
        lambda by, w: incentives.batch_add_matching(batch=w.draft, by=by), CF, A
    ),
    "incentives.batch_remove_line": Case(
        lambda by, w: incentives.batch_remove_line(batch=w.draft, line=w.draft_line, by=by), CF, F
    ),
    "incentives.batch_lock": Case(lambda by, w: incentives.batch_lock(batch=w.draft, by=by), CF, C),
    "incentives.batch_document_issue": Case(
        lambda by, w: incentives.batch_document_issue(batch=w.locked, kind="reward_notice", by=by), CF, R
    ),
    "incentives.batch_document_issue_start": Case(
        lambda by, w: incentives.batch_document_issue_start(batch=w.locked, kind="payout_sheet", by=by), CF, F
    ),
    "incentives.payment_record": Case(
        lambda by, w: incentives.payment_record(line=w.to_pay_line, paid_on=DAY, reference="P1", by=by), CF, F
    ),
    "incentives.batch_record_payment": Case(
        lambda by, w: incentives.batch_record_payment(batch=w.locked, paid_on=DAY, reference="P2", by=by),
        CF,
        R,
    ),
    "incentives.payment_run_start": Case(
        lambda by, w: incentives.payment_run_start(batch=w.locked, paid_on=DAY, reference="P3", by=by),
        CF,
        R,
    ),
    # --- 公示 before payment: the tech bureau publishes and decides objections ---
    "incentives.publicity_publish_batch": Case(
        lambda by, w: incentives.publicity_publish_batch(batch=w.draft, by=by), R, CF, scoped=False
    ),
    "incentives.publicity_publish_round": Case(
        lambda by, w: incentives.publicity_publish_round(
            approved_from=DAY, approved_to=DAY, rewards=[w.approved], by=by
        ),
        R,
        C,
        scoped=False,
    ),
    "incentives.objection_record": Case(
        lambda by, w: incentives.objection_record(
            entry=w.publicity_entry, received_on=DAY, content="异议", by=by
        ),
        R,
        CF,
        scoped=False,
    ),
    "incentives.objection_resolve": Case(
        lambda by, w: incentives.objection_resolve(objection=w.objection, upheld=False, reason="否", by=by),
        R,
        F,
        scoped=False,
    ),
    "incentives.recovery_record": Case(
        lambda by, w: incentives.recovery_record(recovery=w.recovery, recovered_on=DAY, reference="R", by=by),
        CF,
        C,
    ),
    # --- the API's system clients (made and revoked by the administrator or a command) ---
    "api.api_client_create": Case(
        lambda by, w: api_services.api_client_create(
            name="守门客户端", scopes=["enterprises:read"], city_wide=True, by=by
        ),
        A,
        R,
        scoped=False,
    ),
    "api.api_client_revoke": Case(
        lambda by, w: api_services.api_client_revoke(
            client=w.api_client,
            by=by,
        ),
        A,
        R,
        scoped=False,
    ),
    # --- the province's lists ---
    "incentives.official_list_import": Case(
        lambda by, w: incentives.official_list_import(
            fileobj=io.BytesIO(_list_file()), filename="名单.xlsx", kind="hte", granted_on=DAY, by=by
        ),
        R,
        C,
        scoped=False,
    ),
    "incentives.official_list_import_rows": Case(
        lambda by, w: incentives.official_list_import_rows(
            rows=[{"name": "外市某科技有限公司", "certificate_number": "GR2025"}],
            kind="hte",
            granted_on=DAY,
            by=by,
        ),
        R,
        C,
        scoped=False,
    ),
    "incentives.official_list_preview": Case(
        lambda by, w: incentives.official_list_preview(
            fileobj=io.BytesIO(_list_file()), filename="名单.xlsx", kind="hte", granted_on=DAY, by=by
        ),
        R,
        C,
        scoped=False,
    ),
    "incentives.official_list_row_link": Case(
        lambda by, w: incentives.official_list_row_link(row=w.row, enterprise=w.ent, by=by),
        R,
        C,
        scoped=False,
    ),
    "incentives.official_list_row_create": Case(
        lambda by, w: incentives.official_list_row_create(
            row=w.row, jurisdiction=jurisdiction(WF), credit_code=make_credit_code(88002), by=by
        ),
        R,
        C,
        scoped=False,
    ),
    "incentives.official_list_row_ignore": Case(
        lambda by, w: incentives.official_list_row_ignore(row=w.row, reason="外市", by=by), R, F, scoped=False
    ),
    # --- reward rules ---
    "incentives.appropriation_record": Case(
        lambda by, w: incentives.appropriation_record(
            year=2031,
            source="county",
            jurisdiction=jurisdiction(WF),
            amount=Decimal("3000000"),
            document="安财预〔2031〕1号",
            issued_on=DAY,
            by=by,
        ),
        R,
        CF,
        scoped=False,
    ),
    "incentives.appropriation_adjust": Case(
        lambda by, w: incentives.appropriation_adjust(
            appropriation=w.appropriation,
            amount=Decimal("-1000000"),
            document="安财预〔2030〕9号",
            issued_on=DAY,
            reason="调减",
            by=by,
        ),
        R,
        A,
        scoped=False,
    ),
    "incentives.rule_open": Case(
        lambda by, w: incentives.rule_open(
            code="X1",
            name="新规则",
            trigger_kind="lg_cultivation",
            city_amount=Decimal("1000"),
            county_amount=Decimal("0"),
            effective_from=DAY,
            policy_document="安政办〔2026〕1号",
            by=by,
        ),
        A,
        R,
        scoped=False,
    ),
    "incentives.rule_update": Case(
        lambda by, w: incentives.rule_update(rule=w.unused_rule, notes="改", by=by), A, R, scoped=False
    ),
    "incentives.rule_close": Case(
        lambda by, w: incentives.rule_close(rule=w.rule, effective_to=DAY, by=by), A, F, scoped=False
    ),
    # --- the county assessment ---
    "assessment.rollup_start": Case(
        lambda by, w: assessment_services.rollup_start(year=2025, by=by), R, C, scoped=False
    ),
    "assessment.rollup_year_sync": Case(
        lambda by, w: assessment_services.rollup_year_sync(year=2025, by=by), R, F, scoped=False
    ),
    "assessment.rollup_missing": Case(
        lambda by, w: assessment_services.rollup_missing(years=[2025], by=by), C, E, scoped=False
    ),
    "assessment.rollup_nightly": Case(
        lambda by, w: assessment_services.rollup_nightly(by=by, today=DAY), R, C, scoped=False
    ),
    "assessment.target_set": Case(
        lambda by, w: assessment_services.target_set(
            jurisdiction=jurisdiction(WF), year=2025, indicator="new_hte", value=5, by=by
        ),
        R,
        C,
        scoped=False,
    ),
    "assessment.targets_spread": Case(
        lambda by, w: assessment_services.targets_spread(
            year=2025, indicator="new_hte", city_total=80, by=by
        ),
        R,
        F,
        scoped=False,
    ),
    "assessment.published_value_added_set": Case(
        lambda by, w: assessment_services.published_value_added_set(
            jurisdiction=jurisdiction(WF),
            year=2025,
            hightech_value_added=Decimal("400000"),
            industrial_value_added=Decimal("1000000"),
            source="2025年统计公报",
            by=by,
        ),
        R,
        C,
        scoped=False,
    ),
    "assessment.published_value_added_import": Case(
        lambda by, w: assessment_services.published_value_added_import(plan=w.published_plan, by=by),
        R,
        F,
        scoped=False,
    ),
    "assessment.plan_create": Case(
        lambda by, w: assessment_services.plan_create(
            name="后续行动计划", document_number="安政办〔2026〕1号", first_year=2026, last_year=2030, by=by
        ),
        A,
        F,
        scoped=False,
    ),
    "assessment.plan_update": Case(
        lambda by, w: assessment_services.plan_update(plan=w.action_plan, goal_new_hte=81, by=by),
        R,
        C,
        scoped=False,
    ),
    "assessment.counting_rule_set": Case(
        lambda by, w: assessment_services.counting_rule_set(recertification_is_new=False, by=by),
        A,
        C,
        scoped=False,
    ),
    "assessment.watchlists_notify": Case(
        lambda by, w: assessment_services.watchlists_notify(by=by, today=DAY), R, C, scoped=False
    ),
    # --- firm accounts (firm_register and firm_invitation_accept take no ``by``: the public doors, held
    # by the page's limits and the invitation's token; tests/firms covers them) ---
    "firms.firm_invite": Case(
        lambda by, w: firm_services.firm_invite(
            enterprise=w.ent, username="g_new_firm", email="n@x.cn", by=by
        ),
        C,
        F,
    ),
    "firms.firm_invitation_reissue": Case(
        lambda by, w: firm_services.firm_invitation_reissue(user=w.invited, by=by), C, R
    ),
    "firms.firm_account_reactivate": Case(
        lambda by, w: firm_services.firm_account_reactivate(user=w.stopped, by=by), C, CF
    ),
    "firms.firm_account_deactivate": Case(
        lambda by, w: firm_services.firm_account_deactivate(user=w.invited, by=by), C, CF
    ),
    "firms.firm_registration_confirm": Case(
        lambda by, w: firm_services.firm_registration_confirm(registration=w.registration, by=by), C, R
    ),
    "firms.firm_registration_reject": Case(
        lambda by, w: firm_services.firm_registration_reject(
            registration=w.registration, reason="不符", by=by
        ),
        C,
        F,
    ),
    # --- the HTE application round ---
    "applications.round_open": Case(
        lambda by, w: rounds.round_open(
            year=2099,
            intention_deadline=datetime.date(2099, 5, 1),
            recommendation_deadline=datetime.date(2099, 6, 1),
            review_deadline=datetime.date(2099, 7, 1),
            by=by,
        ),
        R,
        C,
        scoped=False,
    ),
    "applications.round_update": Case(
        lambda by, w: rounds.round_update(
            round=w.round,
            intention_deadline=w.round.intention_deadline,
            recommendation_deadline=w.round.recommendation_deadline,
            review_deadline=w.round.review_deadline + datetime.timedelta(days=1),
            by=by,
        ),
        R,
        C,
        scoped=False,
    ),
    "applications.round_close": Case(
        lambda by, w: rounds.round_close(round=w.round, by=by), R, F, scoped=False
    ),
    "applications.entry_declare": Case(
        lambda by, w: rounds.entry_declare(round=w.round, enterprise=w.ent, by=by), C, F
    ),
    "applications.entry_withdraw": Case(lambda by, w: rounds.entry_withdraw(entry=w.intention, by=by), C, R),
    "applications.entry_recommend": Case(
        lambda by, w: rounds.entry_recommend(entry=w.intention, by=by), C, R
    ),
    "applications.entry_hold": Case(
        lambda by, w: rounds.entry_hold(entry=w.intention, reason="研发费用归集不规范", by=by), C, R
    ),
    "applications.entry_pass": Case(
        lambda by, w: rounds.entry_pass(entry=w.recommended, by=by), R, C, scoped=False
    ),
    "applications.entry_return": Case(
        lambda by, w: rounds.entry_return(entry=w.recommended, reasons={"ip": "专利不支撑主营产品"}, by=by),
        R,
        C,
        scoped=False,
    ),
    "applications.entry_certify": Case(
        lambda by, w: rounds.entry_certify(entry=w.passed, by=by), R, C, scoped=False
    ),
    "applications.entry_not_certify": Case(
        lambda by, w: rounds.entry_not_certify(entry=w.passed, outcome_reason="objection", by=by),
        R,
        C,
        scoped=False,
    ),
    "applications.entries_certify_for_qualification": Case(
        lambda by, w: rounds.entries_certify_for_qualification(qualification=w.qualification, by=by),
        R,
        C,
        scoped=False,
    ),
    # --- the portal's own records ---
    "core.export_job_create": Case(
        lambda by, w: core_services.export_job_create(
            by=by, kind="enterprises.ledger", fmt="csv", params=QueryDict()
        ),
        C,
        NO_ROLE,
        scoped=False,
    ),
    "assessment.deadline_reminders_send": Case(
        lambda by, w: assessment_services.deadline_reminders_send(by=by, today=DAY), R, C, scoped=False
    ),
    "core.notification_mark_read": Case(
        lambda by, w: core_notifications.notification_mark_read(notification=w.notification, by=by), C, R
    ),
}

# Functions that take ``by`` but need no case, and why.
EXEMPT = {
    "core.notifications_mark_all_read": "marks only by's own messages read (no other row can be reached)",
}


def _fingerprint():
    """Every row of the project's own apps (history and audit included), to prove nothing was written."""
    rows = {}
    for label in ("core", "enterprises", "incentives", "applications", "assessment", "firms"):
        for model in apps.get_app_config(label).get_models():
            fields = [f.attname for f in model._meta.concrete_fields]
            rows[model._meta.label] = sorted(map(repr, model.objects.values_list(*fields)))
    return rows


def _refused(case: Case, by, w) -> str:
    w.prepare(case)
    before = _fingerprint()
    with pytest.raises(DomainError) as exc:
        case.call(by, w)
    assert exc.value.message.strip(), "a refusal must say why"
    assert _fingerprint() == before, "a refused call must write nothing"
    return exc.value.message


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_without_the_right(name, w):
    case = CASES[name]
    _refused(case, _user(case.lacking, WF), w)
    _refused(case, None, w)  # nobody named: never "the system" by accident


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.scoped))
def test_refused_for_another_county(name, w):
    case = CASES[name]
    twin = _user(case.holder, LZ)
    message = _refused(case, twin, w)
    for enterprise in (w.ent, w.generated.enterprise, w.approved.enterprise):
        assert enterprise.name not in message and enterprise.credit_code not in message, "no leak"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_holder_may(name, w):
    """The cases are fair: the office that holds the right, in its own county, does the same call."""
    CASES[name].call(_user(CASES[name].holder, WF), w)


def _services_taking_by():
    modules = {
        "enterprises": ledger,
        "submissions": submissions,
        "incentives": incentives,
        "applications": rounds,
        "assessment": assessment_services,
        "registers": register_services,
        "core": core_services,
        "firms": firm_services,
        "api": api_services,
    }
    found = set()
    for prefix, module in modules.items():
        names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for name in names:
            func = getattr(module, name)
            if inspect.isfunction(func) and func.__module__.startswith(module.__name__.split(".")[0]):
                params = inspect.signature(func).parameters
                if "by" in params and params["by"].kind is inspect.Parameter.KEYWORD_ONLY:
                    found.add(f"{prefix}.{name}")
    for name, func in inspect.getmembers(core_notifications, inspect.isfunction):
        if func.__module__ == core_notifications.__name__ and "by" in inspect.signature(func).parameters:
            found.add(f"core.{name}")
    return found


def _register_cases() -> set[str]:
    """The registers' own guard matrix (tests/assessment/registers/test_guards.py) covers them."""
    from tests.assessment.registers.test_guards import WRITES

    return {f"registers.{write.__name__.lstrip('_')}" for write in WRITES}


def test_every_write_service_has_a_case():
    missing = _services_taking_by() - set(CASES) - set(EXEMPT) - _register_cases()
    assert not missing, f"write services without a guard case: {sorted(missing)}"
    stale = (set(CASES) | _register_cases()) - _services_taking_by()
    assert not stale, f"cases for services that no longer exist: {sorted(stale)}"


def test_the_system_is_named_and_never_pays():
    system = SystemActor("test")
    assert str(system) == "system (test)" and system.pk is None
    from anyang_hte.core.roles import Right, has_right

    assert has_right(system, Right.LEDGER_IMPORT) and has_right(system, Right.ASSESSMENT_MANAGE)
    for right in (Right.REWARD_SUBMIT, Right.REWARD_REVIEW, Right.PAYOUT_MANAGE):
        assert not has_right(system, right)


def test_the_guard_fails_closed(db):
    from anyang_hte.core.guards import ALL_JURISDICTIONS, CITY_LEVEL, guard
    from anyang_hte.core.roles import Right

    official = _user(C, WF)
    guard(official, Right.LEDGER_EDIT, jurisdiction_id=jurisdiction(WF).pk)  # own county: passes
    for jurisdiction_id in (jurisdiction(LZ).pk, None):  # another county, or a row without one
        with pytest.raises(DomainError):
            guard(official, Right.LEDGER_EDIT, jurisdiction_id=jurisdiction_id)
    for nobody in (None, UserFactory(username="g_inactive", role=C, is_active=False)):
        with pytest.raises(DomainError):
            guard(nobody, Right.LEDGER_VIEW, jurisdiction_id=CITY_LEVEL)
    guard(_user(R), Right.RULE_MANAGE, Right.REWARD_REVIEW, jurisdiction_id=CITY_LEVEL)  # any one right
    # Every caller says which scope it writes in: leaving it out is an error, not "no county check".
    with pytest.raises(TypeError):
        guard(official, Right.LEDGER_EDIT)
    # A write over every county at once: the county official's own right is not enough.
    guard(_user(R), Right.QUALIFICATION_EDIT, jurisdiction_id=ALL_JURISDICTIONS)
    with pytest.raises(DomainError):
        guard(official, Right.QUALIFICATION_EDIT, jurisdiction_id=ALL_JURISDICTIONS)
