"""The 公示 pages: the public ones without log-in (content, no bank data, Chinese whatever the browser
asks, the per-IP limit) and the staff's (publish, objections) per role."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.roles import Role
from incentives.models import FundingLine, Publicity, PublicityObjection, Reward
from incentives.services import payouts
from incentives.services import publicity as svc
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction
from tests.incentives.factories import RewardWithLinesFactory, fund_generously, publicized

WF = "410502"
BANK = "6217009988776655"


@pytest.fixture(autouse=True)
def _setup(db, settings):
    fund_generously()
    cache.clear()
    settings.PUBLICITY_PUBLIC_LIMIT = 100


@pytest.fixture
def finance(db):
    return UserFactory(username="pp_city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


def approved(name="安阳公示测试科技有限公司") -> Reward:
    return RewardWithLinesFactory(
        enterprise=EnterpriseFactory(
            jurisdiction=jurisdiction(WF), name=name, bank_name="中原银行文峰支行", bank_account=BANK
        ),
        status=Reward.Status.APPROVED,
        approved_at=timezone.now() - datetime.timedelta(hours=1),
    )


def batch_of(finance, *rewards, lock=True):
    batch = payouts.batch_create(by=finance, name="2026年第九批市级奖励资金", source="city")
    payouts.batch_add_lines(
        batch=batch, lines_or_ids=[r.lines.get(source="city") for r in rewards], by=finance
    )
    return payouts.batch_lock(batch=batch, by=finance) if lock else batch


class TestPublicPages:
    def test_without_log_in_in_chinese_without_bank_data(self, reviewer, finance):
        reward = approved()
        publicity = svc.publicity_publish_batch(batch=batch_of(finance, reward), by=reviewer)
        anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
        anonymous.cookies["django_language"] = "en"  # even the portal's own language switch set to English
        index = anonymous.get(reverse("gongshi:index"))
        assert index.status_code == 200 and index["Content-Language"] == "zh-hans"
        body = index.content.decode()
        assert publicity.title in body and "正在公示" in body
        page = anonymous.get(reverse("gongshi:detail", args=[publicity.pk]))
        assert page.status_code == 200 and page["Content-Language"] == "zh-hans"
        body = page.content.decode()
        for text in ("安阳公示测试科技有限公司", "文峰区", reward.rule.name, "30.00", "300,000.00", "公示期"):
            assert text in body
        for text in ("异议受理", publicity.contact_unit, publicity.contact_phone, "打印本页"):
            assert text in body
        for secret in (BANK, "中原银行", "银行", reviewer.username, f"/rewards/{reward.pk}/"):
            assert secret not in body
        assert "<script>" not in body and "style=" not in body  # the CSP: static files only
        assert "/static/js/gongshi.js" in body and "/static/css/gongshi.css" in body

    def test_a_user_who_has_not_passed_the_second_factor_reads_it_too(self, reviewer, finance, client):
        publicity = publicized([approved()])
        client.force_login(finance, otp=False)
        assert client.get(reverse("gongshi:detail", args=[publicity.pk])).status_code == 200

    def test_the_limit_per_address_gives_429_in_chinese(self, settings):
        settings.PUBLICITY_PUBLIC_LIMIT = 3
        anonymous = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
        for _ in range(3):
            assert anonymous.get(reverse("gongshi:index")).status_code == 200
        refused = anonymous.get(reverse("gongshi:index"))
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        assert "访问过于频繁" in refused.content.decode()
        other = Client(REMOTE_ADDR="203.0.113.10")
        assert other.get(reverse("gongshi:index")).status_code == 200

    def test_unknown_publicity_is_404_and_posting_is_refused(self):
        anonymous = Client()
        assert anonymous.get(reverse("gongshi:detail", args=[999])).status_code == 404
        assert anonymous.post(reverse("gongshi:index")).status_code == 405

    def test_current_first_then_past(self, reviewer, finance):
        old = publicized([approved("安阳旧公示有限公司")])
        current = svc.publicity_publish_batch(batch=batch_of(finance, approved()), by=reviewer)
        body = Client().get(reverse("gongshi:index")).content.decode()
        assert body.index(current.title) < body.index("已结束的公示") < body.index(old.title)


class TestStaffPages:
    def test_the_reviewer_publishes_a_batch_from_the_form(self, client, reviewer, finance):
        batch = batch_of(finance, approved())
        client.force_login(reviewer)
        page = client.get(reverse("incentives:publicity_new") + f"?batch={batch.pk}")
        assert page.status_code == 200 and batch.name in page.content.decode()
        response = client.post(
            reverse("incentives:publicity_new"),
            {
                "which": "batch",
                "b-batch": batch.pk,
                "b-title": "",
                "b-contact_unit": "安阳市科学技术局",
                "b-contact_phone": "0372-5555555",
            },
        )
        publicity = Publicity.objects.get()
        assert response.status_code == 302 and response["Location"] == publicity.get_absolute_url()
        assert publicity.batch == batch and publicity.contact_phone == "0372-5555555"
        detail = client.get(publicity.get_absolute_url()).content.decode()
        assert "安阳公示测试科技有限公司" in detail and 'data-testid="objection-form"' in detail

    def test_a_refused_round_keeps_what_was_typed_and_names_the_field(self, client, reviewer):
        client.force_login(reviewer)
        response = client.post(
            reverse("incentives:publicity_new"),
            {
                "which": "round",
                "r-approved_from": "2020-01-01",
                "r-approved_to": "2020-01-31",
                "r-title": "我的公示标题",
                "r-contact_unit": "安阳市科学技术局",
                "r-contact_phone": "0372-1",
            },
        )
        assert response.status_code == 400
        form = response.context["round_form"]
        assert "approved_from" in form.errors and "没有尚未公示的" in str(form.errors["approved_from"])
        body = response.content.decode()
        assert 'value="我的公示标题"' in body and 'value="0372-1"' in body
        assert not Publicity.objects.exists()

    def test_objection_recorded_and_upheld_through_the_pages(self, client, reviewer, finance):
        reward = approved()
        publicity = svc.publicity_publish_batch(batch=batch_of(finance, reward, lock=False), by=reviewer)
        entry = publicity.entries.get()
        client.force_login(reviewer)
        url = reverse("incentives:objection_record", args=[publicity.pk])
        refused = client.post(url, {"entry": entry.pk, "received_on": "2000-01-01", "content": "不实"})
        assert refused.status_code == 400
        assert "received_on" in refused.context["objection_form"].errors
        assert "不实</textarea>" in refused.content.decode()
        today = timezone.localdate().isoformat()
        assert (
            client.post(url, {"entry": entry.pk, "received_on": today, "content": "不实"}).status_code == 302
        )
        objection = PublicityObjection.objects.get()
        resolve = reverse("incentives:objection_resolve", args=[publicity.pk, objection.pk])
        no_reason = client.post(
            resolve, {f"o{objection.pk}-outcome": "upheld", f"o{objection.pk}-reason": ""}
        )
        assert no_reason.status_code == 400
        ok = client.post(resolve, {f"o{objection.pk}-outcome": "upheld", f"o{objection.pk}-reason": "属实"})
        assert ok.status_code == 302
        reward.refresh_from_db()
        assert reward.status == Reward.Status.REJECTED
        assert set(reward.lines.values_list("status", flat=True)) == {FundingLine.Status.CANCELLED}
        public = Client().get(reverse("gongshi:detail", args=[publicity.pk])).content.decode()
        assert "经核查不予奖励" in public and "属实" not in public and "不实" not in public

    @pytest.mark.parametrize(
        ("role", "list_code", "new_code", "sees_objection"),
        [
            (Role.TECH_REVIEWER, 200, 200, True),
            (Role.CITY_FINANCE, 200, 403, True),
            (Role.COUNTY_FINANCE, 200, 403, True),
            (Role.COUNTY_OFFICIAL, 200, 403, False),
            (Role.ENTERPRISE, 403, 403, False),
        ],
    )
    def test_per_role(self, client, role, list_code, new_code, sees_objection, reviewer):
        publicity = publicized([approved()])
        PublicityObjection.objects.create(
            entry=publicity.entries.get(),
            received_on=publicity.published_on,
            content="秘密的异议内容",
            objector="张三",
            recorded_by=reviewer,
        )
        kwargs = (
            {"jurisdiction": jurisdiction(WF)} if role in (Role.COUNTY_FINANCE, Role.COUNTY_OFFICIAL) else {}
        )
        if role == Role.ENTERPRISE:
            kwargs = {
                "jurisdiction": jurisdiction(WF),
                "enterprise": EnterpriseFactory(jurisdiction=jurisdiction(WF)),
            }
        user = (
            reviewer
            if role == Role.TECH_REVIEWER
            else UserFactory(username=f"pp_{role}", role=role, **kwargs)
        )
        client.force_login(user)
        assert client.get(reverse("incentives:publicity_list")).status_code == list_code
        assert client.get(reverse("incentives:publicity_new")).status_code == new_code
        detail = client.get(publicity.get_absolute_url())
        assert detail.status_code == list_code
        if list_code == 200:
            body = detail.content.decode()
            assert ("秘密的异议内容" in body) is sees_objection and ("张三" in body) is sees_objection
            assert ('data-testid="objection-form"' in body) is (role == Role.TECH_REVIEWER)
        entry = publicity.entries.get()
        posted = client.post(
            reverse("incentives:objection_record", args=[publicity.pk]),
            {"entry": entry.pk, "received_on": publicity.published_on.isoformat(), "content": "x"},
        )
        assert posted.status_code == (302 if role == Role.TECH_REVIEWER else 403)

    def test_the_batch_page_shows_the_state_and_why_payment_waits(self, client, reviewer, finance):
        reward = approved()
        batch = batch_of(finance, reward)
        client.force_login(finance)
        body = client.get(batch.get_absolute_url()).content.decode()
        assert "未公示" in body and 'data-testid="pay-hold"' in body and "奖励尚未公示" in body
        publicity = svc.publicity_publish_batch(batch=batch, by=reviewer)
        body = client.get(batch.get_absolute_url()).content.decode()
        end = publicity.ends_on.isoformat()
        assert f"公示中（至 {end}）" in body and f"公示期至 {end} 结束" in body
        assert BANK in body  # finance's own page keeps the bank details it pays to


def test_the_reward_page_says_where_its_publicity_stands(client, reviewer, finance):
    reward = approved()
    client.force_login(reviewer)
    url = reverse("incentives:reward_detail", args=[reward.pk])
    assert "未公示" in client.get(url).content.decode()
    publicity = svc.publicity_publish_round(
        approved_from=timezone.localdate(), approved_to=timezone.localdate(), rewards=[reward], by=reviewer
    )
    body = client.get(url).content.decode()
    assert f"公示中（至 {publicity.ends_on.isoformat()}）" in body and publicity.get_absolute_url() in body
