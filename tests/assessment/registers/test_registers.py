"""The plan's registers: incubation carriers, training events, policy counselors.

Services directly, pages through the client, and the scoping matrix for every URL of the registers
(including the plan's task pages and the Little Giant reserve's) for every role.
"""

import csv
import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, reverse
from django.utils import timezone
from openpyxl import load_workbook

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Right, Role, has_right
from assessment.models import IncubationCarrier, PolicyCounselor, TrainingEvent
from assessment.registers.forms import resolve_enterprise_lines
from assessment.registers.permissions import can_edit_carriers, can_lg_reserve_act
from assessment.registers.selectors import carrier_totals, carriers_in_force, training_coverage
from assessment.registers.services import (
    carrier_create,
    carrier_revoke,
    carrier_update,
    counselor_create,
    counselor_update,
    training_event_create,
    training_event_update,
)
from assessment.registers.urls import urlpatterns as registers_urlpatterns
from assessment.registers.workflow import Move
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction

from .lg_reserve_helpers import make_entry, make_firm

pytestmark = [pytest.mark.django_db]

WF, LZ, AY = "410502", "410581", "410522"  # 文峰区, 林州市, 安阳县
TODAY = timezone.localdate()
THIS_YEAR = TODAY.year


def make_carrier(
    name="安阳市科技企业孵化器", *, kind="incubator", level="city", code=WF, on=None, revoked=None
):
    return IncubationCarrier.objects.create(
        name=name,
        kind=kind,
        level=level,
        jurisdiction=jurisdiction(code),
        recognised_on=on or datetime.date(2020, 5, 1),
        revoked_on=revoked,
    )


def make_event(code=WF, *, held_on=None, topic="高企政策培训", enterprises=()):
    event = TrainingEvent.objects.create(
        held_on=held_on or datetime.date(THIS_YEAR, 1, 2), jurisdiction=jurisdiction(code), topic=topic
    )
    event.enterprises.set(enterprises)
    return event


def make_counselor(name="王辅导", code=WF, enterprises=()):
    counselor = PolicyCounselor.objects.create(name=name, jurisdiction=jurisdiction(code))
    counselor.enterprises.set(enterprises)
    return counselor


def actions_of(obj) -> list[str]:
    ct = ContentType.objects.get_for_model(obj)
    return list(
        AuditLog.objects.filter(content_type=ct, object_id=str(obj.pk)).values_list("action", flat=True)
    )


@pytest.fixture
def city_finance(db):
    return UserFactory(username="city_fin", role=Role.CITY_FINANCE, jurisdiction=None)


# --- services: carriers ------------------------------------------------------------------------


def test_reviewer_registers_updates_and_revokes_a_carrier(reviewer):
    carrier = carrier_create(
        name=" 殷都众创空间 ",
        kind="maker_space",
        level="provincial",
        jurisdiction=jurisdiction("410505"),
        recognised_on=datetime.date(2019, 3, 1),
        by=reviewer,
    )
    assert carrier.name == "殷都众创空间"
    carrier_update(
        carrier=carrier,
        name="殷都众创空间",
        kind="maker_space",
        level="national",
        jurisdiction=jurisdiction("410505"),
        recognised_on=datetime.date(2019, 3, 1),
        by=reviewer,
    )
    carrier_revoke(carrier=carrier, revoked_on=datetime.date(2024, 6, 30), by=reviewer)
    carrier.refresh_from_db()
    assert (carrier.level, carrier.revoked_on) == ("national", datetime.date(2024, 6, 30))
    assert actions_of(carrier) == [
        "assessment.carrier.revoked",
        "assessment.carrier.updated",
        "assessment.carrier.created",
    ]
    update = AuditLog.objects.get(action="assessment.carrier.updated")
    assert update.data == {"changes": {"level": ["provincial", "national"]}}


def test_carriers_are_the_bureaus_alone(county_official, city_finance):
    carrier = make_carrier()
    for user in (county_official, city_finance):
        with pytest.raises(DomainError):
            carrier_create(
                name="新孵化器",
                kind="incubator",
                level="city",
                jurisdiction=county_official.jurisdiction,
                recognised_on=datetime.date(2024, 1, 1),
                by=user,
            )
        with pytest.raises(DomainError):
            carrier_revoke(carrier=carrier, revoked_on=TODAY, by=user)
    assert IncubationCarrier.objects.count() == 1 and not IncubationCarrier.objects.get().revoked_on


def test_carrier_refusals(reviewer):
    carrier = make_carrier(on=datetime.date(2021, 1, 1))
    fields = {"kind": "incubator", "level": "city", "jurisdiction": jurisdiction(WF), "by": reviewer}
    with pytest.raises(DomainError) as exc:
        carrier_create(name=carrier.name, recognised_on=datetime.date(2021, 1, 1), **fields)
    assert exc.value.field == "name"
    with pytest.raises(DomainError) as exc:
        carrier_create(name="明日孵化器", recognised_on=TODAY + datetime.timedelta(days=1), **fields)
    assert exc.value.field == "recognised_on"
    with pytest.raises(DomainError) as exc:
        carrier_revoke(carrier=carrier, revoked_on=datetime.date(2020, 12, 31), by=reviewer)
    assert exc.value.field == "revoked_on"
    carrier_revoke(carrier=carrier, revoked_on=datetime.date(2022, 1, 1), by=reviewer)
    with pytest.raises(DomainError, match="已于2022-01-01撤销"):
        carrier_revoke(carrier=carrier, revoked_on=datetime.date(2023, 1, 1), by=reviewer)


def test_carrier_totals_count_only_what_is_in_force():
    make_carrier("甲", kind="incubator", level="national")
    make_carrier("乙", kind="incubator", level="city")
    make_carrier("丙", kind="maker_space", level="city", code=LZ)
    make_carrier("丁", kind="university_park", level="provincial", revoked=datetime.date(2023, 1, 1))
    make_carrier("戊", kind="maker_space", level="city", on=TODAY + datetime.timedelta(days=30))
    totals = carrier_totals(IncubationCarrier.objects.all(), on=TODAY)
    assert totals.total == 3 and totals.revoked == 1
    by_kind = {label: (counts, total) for label, counts, total in totals.rows}
    assert by_kind["科技企业孵化器"] == ([1, 0, 1], 2)  # national, provincial, city
    assert by_kind["众创空间"] == ([0, 0, 1], 1)
    assert by_kind["大学科技园"] == ([0, 0, 0], 0)
    assert totals.column_totals == [1, 0, 2]
    assert carriers_in_force(TODAY).count() == 3


# --- services: training events and counselors -------------------------------------------------


def test_county_official_registers_training_of_own_jurisdiction(county_official):
    own = EnterpriseFactory.create_batch(3, jurisdiction=jurisdiction(WF))
    event = training_event_create(
        held_on=TODAY,
        jurisdiction=jurisdiction(WF),
        topic="研发费用归集培训",
        enterprises=own,
        by=county_official,
    )
    assert set(event.enterprises.all()) == set(own)
    training_event_update(
        event=event,
        held_on=event.held_on,
        jurisdiction=jurisdiction(WF),
        topic=event.topic,
        enterprises=own[:1],
        by=county_official,
    )
    assert list(event.enterprises.all()) == own[:1]
    entry = AuditLog.objects.get(action="assessment.training.updated")
    assert entry.data["changes"]["enterprises"]["removed"] == sorted(e.credit_code for e in own[1:])


def test_county_official_cannot_train_in_another_jurisdiction(county_official):
    with pytest.raises(DomainError) as exc:
        training_event_create(
            held_on=TODAY,
            jurisdiction=jurisdiction(LZ),
            topic="培训",
            by=county_official,
        )
    assert exc.value.field == "jurisdiction"
    other_event = make_event(LZ)
    with pytest.raises(DomainError):
        training_event_update(
            event=other_event,
            held_on=other_event.held_on,
            jurisdiction=jurisdiction(WF),
            topic="改到文峰",
            by=county_official,
        )
    own_event = make_event(WF)
    with pytest.raises(DomainError):
        training_event_update(
            event=own_event,
            held_on=own_event.held_on,
            jurisdiction=jurisdiction(LZ),
            topic="x",
            by=county_official,
        )
    assert TrainingEvent.objects.filter(jurisdiction__code=WF).count() == 1


def test_attendees_must_be_in_the_events_jurisdiction(county_official, reviewer):
    own = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    foreign = EnterpriseFactory(jurisdiction=jurisdiction(LZ), name="林州某公司")
    for user in (county_official, reviewer):
        with pytest.raises(DomainError, match="林州某公司") as exc:
            training_event_create(
                held_on=TODAY,
                jurisdiction=jurisdiction(WF),
                topic="培训",
                enterprises=[own, foreign],
                by=user,
            )
        assert exc.value.field == "enterprises"
    assert not TrainingEvent.objects.exists()


def test_training_refusals(county_official, city_finance):
    with pytest.raises(DomainError):  # no REGISTER_EDIT
        training_event_create(held_on=TODAY, jurisdiction=jurisdiction(WF), topic="培训", by=city_finance)
    with pytest.raises(DomainError) as exc:
        training_event_create(
            held_on=TODAY + datetime.timedelta(days=1),
            jurisdiction=jurisdiction(WF),
            topic="培训",
            by=county_official,
        )
    assert exc.value.field == "held_on"
    with pytest.raises(DomainError) as exc:
        training_event_create(held_on=TODAY, jurisdiction=jurisdiction(WF), topic="  ", by=county_official)
    assert exc.value.field == "topic"


def test_counselors_are_kept_by_their_county(county_official):
    own = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    counselor = counselor_create(
        name="李辅导", unit="文峰区科技局", phone="0372-1234567", jurisdiction=jurisdiction(WF),
        enterprises=[own], by=county_official,
    )  # fmt: skip
    assert list(counselor.enterprises.all()) == [own]
    counselor_update(
        counselor=counselor, name="李辅导", jurisdiction=jurisdiction(WF), active=False, by=county_official
    )
    counselor.refresh_from_db()
    assert not counselor.active and not counselor.enterprises.exists()
    with pytest.raises(DomainError):
        counselor_create(name="张", jurisdiction=jurisdiction(LZ), by=county_official)
    with pytest.raises(DomainError):
        counselor_create(
            name="张",
            jurisdiction=jurisdiction(WF),
            enterprises=[EnterpriseFactory(jurisdiction=jurisdiction(LZ))],
            by=county_official,
        )
    with pytest.raises(DomainError):
        counselor_update(
            counselor=make_counselor(code=LZ), name="改", jurisdiction=jurisdiction(LZ), by=county_official
        )


def test_training_coverage_per_jurisdiction(reviewer, county_official):
    wf = EnterpriseFactory.create_batch(4, jurisdiction=jurisdiction(WF))
    lz = EnterpriseFactory.create_batch(2, jurisdiction=jurisdiction(LZ))
    make_event(WF, enterprises=wf[:2])
    make_event(WF, enterprises=wf[1:3])  # wf[1] twice: counted once
    make_event(LZ, held_on=datetime.date(THIS_YEAR - 1, 6, 1), enterprises=lz)  # last year
    rows = {r.jurisdiction.code: r for r in training_coverage(reviewer, year=THIS_YEAR)}
    assert len(rows) == 11
    assert (rows[WF].events, rows[WF].trained, rows[WF].ledger, str(rows[WF].share)) == (2, 3, 4, "75.0")
    assert rows[WF].covered and not rows[LZ].covered and rows[LZ].ledger == 2
    assert rows[AY].share is None and not rows[AY].covered
    last_year = {r.jurisdiction.code: r for r in training_coverage(reviewer, year=THIS_YEAR - 1)}
    assert (last_year[LZ].events, last_year[LZ].trained) == (1, 2)
    own = training_coverage(county_official, year=THIS_YEAR)
    assert [r.jurisdiction.code for r in own] == [WF]


# --- the enterprise picker ---------------------------------------------------------------------


def test_enterprise_lines_by_code_or_name():
    a = EnterpriseFactory(jurisdiction=jurisdiction(WF), name="安阳市甲科技有限公司")
    b = EnterpriseFactory(jurisdiction=jurisdiction(WF), name="安阳市乙科技有限公司")
    c = EnterpriseFactory(jurisdiction=jurisdiction(WF), name="安阳市丙科技有限公司")
    foreign = EnterpriseFactory(jurisdiction=jurisdiction(LZ), name="林州市丁科技有限公司")
    full_width = a.credit_code.lower().translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789"})
    text = "\n".join(
        [
            f"　{full_width}　",  # full-width digits, lower case, padded
            f"1\t{b.name}\t张三\t13800000000",  # a row pasted from a sign-in sheet
            "",
            f"{c.credit_code} {c.name}",  # the form's own format
            a.credit_code,  # repeated: kept once
            foreign.name,
            "安阳市不存在公司",
        ]
    )
    ledger = Enterprise.objects.filter(jurisdiction=jurisdiction(WF))
    found, errors = resolve_enterprise_lines(text, queryset=ledger)
    assert found == [a, b, c]
    assert errors == [
        f"第6行“{foreign.name}”：本县区台账中没有这家企业。",
        "第7行“安阳市不存在公司”：本县区台账中没有这家企业。",
    ]


def test_enterprise_lines_ambiguous_name():
    EnterpriseFactory.create_batch(2, jurisdiction=jurisdiction(WF), name="同名公司")
    found, errors = resolve_enterprise_lines("同名公司", queryset=Enterprise.objects.all())
    assert found == [] and "多家同名企业" in errors[0]


# --- pages -------------------------------------------------------------------------------------


def test_carrier_list_filters_and_totals(client, reviewer):
    make_carrier("文峰国家级孵化器", level="national", on=datetime.date(2019, 4, 1))
    make_carrier("文峰市级众创空间", kind="maker_space", on=datetime.date(2022, 4, 1))
    make_carrier("林州省级大学科技园", kind="university_park", level="provincial", code=LZ)
    make_carrier("已撤销的孵化器", revoked=datetime.date(2023, 1, 1))
    client.force_login(reviewer)
    url = reverse("registers:carrier_list")
    body = client.get(url).content.decode()
    assert "全市已认定孵化载体 3 家，目标 20 家以上" in body
    assert all(n in body for n in ("文峰国家级孵化器", "林州省级大学科技园", "已撤销的孵化器"))
    assert 'data-testid="carrier-total">3<' in body and "另有已撤销的载体 1 家" in body

    jf = jurisdiction(WF).pk
    body = client.get(url, {"jurisdiction": jf, "status": "in_force"}).content.decode()
    assert "文峰国家级孵化器" in body and "文峰市级众创空间" in body
    assert "林州省级大学科技园" not in body and "已撤销的孵化器" not in body
    assert 'data-testid="carrier-total">2<' in body
    assert "全市已认定孵化载体 3 家" in body  # the goal line is the city's, whatever the filter

    body = client.get(url, {"kind": "maker_space"}).content.decode()
    assert "文峰市级众创空间" in body and "文峰国家级孵化器" not in body
    body = client.get(url, {"level": "provincial"}).content.decode()
    assert "林州省级大学科技园" in body and "文峰国家级孵化器" not in body
    body = client.get(url, {"year": 2019}).content.decode()
    assert "文峰国家级孵化器" in body and "文峰市级众创空间" not in body
    body = client.get(url, {"status": "revoked"}).content.decode()
    assert "已撤销的孵化器" in body and "文峰国家级孵化器" not in body


def test_county_sees_own_carriers_read_only(client, county_official):
    make_carrier("文峰孵化器")
    make_carrier("林州孵化器", code=LZ)
    client.force_login(county_official)
    body = client.get(reverse("registers:carrier_list")).content.decode()
    assert "文峰孵化器" in body and "林州孵化器" not in body
    assert "本县区已认定孵化载体 1 家" in body and "全市已认定" not in body
    assert reverse("registers:carrier_create") not in body and "/revoke/" not in body
    assert client.get(reverse("registers:carrier_create")).status_code == 403
    rows = _csv(client.get(reverse("registers:carrier_export", args=["csv"])))
    assert [r[1] for r in rows[1:]] == ["文峰孵化器"]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_carrier_export_follows_the_filter(client, reviewer):
    make_carrier("=HYPERLINK(1)", level="national")
    make_carrier("林州孵化器", code=LZ, kind="maker_space")
    client.force_login(reviewer)
    rows = _csv(client.get(reverse("registers:carrier_export", args=["csv"]), {"level": "national"}))
    assert rows[0][:3] == ["序号", "载体名称", "类型"]
    assert rows[1][:5] == ["1", "'=HYPERLINK(1)", "科技企业孵化器", "国家级", "文峰区"]
    assert len(rows) == 2
    response = client.get(
        reverse("registers:carrier_export", args=["xlsx"]), {"jurisdiction": jurisdiction(LZ).pk}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1] == "载体名称" and values[2][1] == "林州孵化器" and len(values) == 3
    assert client.get(reverse("registers:carrier_export", args=["pdf"])).status_code == 404


def test_carrier_create_edit_and_revoke_pages(client, reviewer):
    client.force_login(reviewer)
    data = {
        "name": "安阳高新区科技企业孵化器",
        "kind": "incubator",
        "level": "national",
        "jurisdiction": jurisdiction("410571").pk,
        "recognised_on": "2018-09-01",
    }
    response = client.post(reverse("registers:carrier_create"), data)
    assert response.status_code == 302
    carrier = IncubationCarrier.objects.get()
    # A refusal keeps what was typed.
    response = client.post(reverse("registers:carrier_create"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "未保存" in body and 'value="安阳高新区科技企业孵化器"' in body
    response = client.post(
        reverse("registers:carrier_edit", args=[carrier.pk]), {**data, "level": "provincial"}
    )
    assert response.status_code == 302
    carrier.refresh_from_db()
    assert carrier.level == "provincial"
    bad = client.post(reverse("registers:carrier_revoke", args=[carrier.pk]), {"revoked_on": "2017-01-01"})
    assert bad.status_code == 200 and "撤销日期不能早于认定日期" in bad.content.decode()
    assert 'value="2017-01-01"' in bad.content.decode()
    ok = client.post(reverse("registers:carrier_revoke", args=[carrier.pk]), {"revoked_on": "2024-01-01"})
    assert ok.status_code == 302
    carrier.refresh_from_db()
    assert carrier.revoked_on == datetime.date(2024, 1, 1)


def test_training_form_offers_only_own_jurisdiction(client, county_official):
    client.force_login(county_official)
    body = client.get(reverse("registers:training_create")).content.decode()
    assert "文峰区" in body and "林州市" not in body


def test_training_create_through_the_page(client, county_official):
    own = EnterpriseFactory.create_batch(2, jurisdiction=jurisdiction(WF))
    foreign = EnterpriseFactory(jurisdiction=jurisdiction(LZ))
    client.force_login(county_official)
    data = {
        "held_on": TODAY.isoformat(),
        "jurisdiction": jurisdiction(WF).pk,
        "topic": "高企申报实务培训",
        "enterprise_lines": f"{own[0].credit_code}\n{own[1].name}\n{foreign.credit_code}",
        "notes": "",
    }
    response = client.post(reverse("registers:training_create"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "第3行" in body and "本县区台账中没有这个信用代码" in body
    assert own[1].name in body  # the textarea keeps what was typed
    assert not TrainingEvent.objects.exists()
    # Another jurisdiction in the POST is refused by the form's choices.
    response = client.post(
        reverse("registers:training_create"), {**data, "jurisdiction": jurisdiction(LZ).pk}
    )
    assert response.status_code == 200 and not TrainingEvent.objects.exists()
    data["enterprise_lines"] = "\n".join(e.credit_code for e in own)
    response = client.post(reverse("registers:training_create"), data)
    event = TrainingEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registers:training_detail", args=[event.pk]
    )
    assert set(event.enterprises.all()) == set(own)
    detail = client.get(reverse("registers:training_detail", args=[event.pk])).content.decode()
    assert own[0].name in detail and "参训企业 2 家" in detail
    edit = client.get(reverse("registers:training_edit", args=[event.pk])).content.decode()
    assert f"{own[0].credit_code} {own[0].name}" in edit


def test_training_list_shows_coverage(client, reviewer):
    make_event(WF, enterprises=EnterpriseFactory.create_batch(2, jurisdiction=jurisdiction(WF)))
    make_event(LZ, held_on=datetime.date(THIS_YEAR - 1, 3, 1))
    client.force_login(reviewer)
    body = client.get(reverse("registers:training_list")).content.decode()
    assert f"{THIS_YEAR}年培训覆盖情况" in body
    assert body.count('data-testid="not-covered"') == 10  # every jurisdiction but 文峰区
    last = client.get(reverse("registers:training_list"), {"year": THIS_YEAR - 1}).content.decode()
    assert last.count('data-testid="not-covered"') == 10 and "高企政策培训" in last


def test_list_queries_do_not_grow_with_rows(client, reviewer, django_assert_max_num_queries):
    wf = EnterpriseFactory.create_batch(5, jurisdiction=jurisdiction(WF))
    for n in range(30):
        make_event(WF, topic=f"培训{n}", enterprises=wf)
        make_counselor(f"辅导员{n}", enterprises=wf)
        make_carrier(f"载体{n}")
    client.force_login(reviewer)
    for name in ("registers:training_list", "registers:counselor_list", "registers:carrier_list"):
        with django_assert_max_num_queries(
            16
        ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
            assert client.get(reverse(name)).status_code == 200


def test_counselor_pages(client, county_official):
    own = EnterpriseFactory(jurisdiction=jurisdiction(WF), name="安阳市被辅导科技有限公司")
    make_counselor("林州辅导员", code=LZ)
    client.force_login(county_official)
    response = client.post(
        reverse("registers:counselor_create"),
        {
            "name": "赵辅导",
            "unit": "文峰区科技局",
            "phone": "13900000000",
            "jurisdiction": jurisdiction(WF).pk,
            "enterprise_lines": own.name,
            "active": "on",
        },
    )
    counselor = PolicyCounselor.objects.get(name="赵辅导")
    assert response.status_code == 302 and list(counselor.enterprises.all()) == [own]
    body = client.get(reverse("registers:counselor_list")).content.decode()
    assert "赵辅导" in body and "林州辅导员" not in body
    body = client.get(reverse("registers:counselor_list"), {"active": "no"}).content.decode()
    assert "赵辅导" not in body
    detail = client.get(reverse("registers:counselor_detail", args=[counselor.pk])).content.decode()
    assert own.name in detail


# --- scoping: every URL of the registers, every role --------------------------------------------

# Per URL name: what the viewer must hold, and which scoped object (if any) it takes.
URLS = {
    "carrier_list": ("view", None),
    "carrier_export": ("view", None),
    "carrier_create": ("carrier", None),
    "carrier_edit": ("carrier", "carrier"),
    "carrier_revoke": ("carrier", "carrier"),
    "training_list": ("view", None),
    "training_export": ("view", None),
    "training_create": ("edit", None),
    "training_detail": ("view", "event"),
    "training_edit": ("edit", "event"),
    "counselor_list": ("view", None),
    "counselor_export": ("view", None),
    "counselor_create": ("edit", None),
    "counselor_detail": ("view", "counselor"),
    "counselor_edit": ("edit", "counselor"),
    "plan_tasks": ("view", None),
    "plan_tasks_export": ("view", None),
    "task_report": ("report", None),
    "plan_task_detail": ("view", "task"),
    "lg_reserve": ("view", None),
    "lg_reserve_export": ("view", None),
    "lg_reserve_pick": ("lg_county", None),
    "lg_reserve_propose": ("lg_county", "lg_firm"),
    "lg_reserve_entry": ("view", "lg_entry"),
    "lg_reserve_withdraw": ("lg_county", "lg_entry"),
    "lg_reserve_confirm": ("lg_bureau", "lg_entry"),
    "lg_reserve_decline": ("lg_bureau", "lg_entry"),
    "lg_reserve_remove": ("lg_bureau", "lg_confirmed"),
}
# Pages whose empty form is a complete move (no text required): the first allowed POST makes it (302);
# after that the same POST is refused on the form (200).
ACTS_ON_EMPTY_POST = {"lg_reserve_propose", "lg_reserve_withdraw", "lg_reserve_confirm"}
SCOPED = {"carrier", "event", "counselor", "lg_firm", "lg_entry", "lg_confirmed"}


def _allowed(user, need: str) -> bool:
    if need == "carrier":
        return can_edit_carriers(user)[0]
    if need in ("lg_county", "lg_bureau"):
        return can_lg_reserve_act(user, Move.PROPOSE if need == "lg_county" else Move.CONFIRM)[0]
    right = {"view": Right.ASSESSMENT_VIEW, "edit": Right.REGISTER_EDIT, "report": Right.TASK_REPORT}[need]
    return has_right(user, right)


@pytest.fixture
def world(db):
    objects = {}
    for label, code in (("own", WF), ("other", LZ)):
        ent = EnterpriseFactory(jurisdiction=jurisdiction(code))
        proposer = UserFactory(
            username=f"s_proposer_{code}", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(code)
        )
        objects[label] = {
            "carrier": make_carrier(f"{label}载体", code=code).pk,
            "event": make_event(code, enterprises=[ent]).pk,
            "counselor": make_counselor(f"{label}辅导员", code=code, enterprises=[ent]).pk,
            "task": 4,
            "lg_firm": make_firm(code).pk,
            "lg_entry": make_entry(make_firm(code), by=proposer).pk,
            "lg_confirmed": make_entry(make_firm(code), by=proposer, status="confirmed").pk,
        }
    return objects


def _url(name, obj, objects):
    kwargs = {"fmt": "xlsx"} if name.endswith("_export") else {}
    if obj == "task":
        kwargs["number"] = objects[obj]
    elif obj:
        kwargs["pk"] = objects[obj]
    return reverse(f"registers:{name}", kwargs=kwargs)


def test_the_matrix_covers_every_url():
    names = {p.name for p in registers_urlpatterns if isinstance(p, URLPattern)}
    assert names == set(URLS)


@pytest.mark.parametrize("name", sorted(URLS))
def test_anonymous_is_sent_to_login(client, world, name):
    url = _url(name, URLS[name][1], world["own"])
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), method


@pytest.mark.parametrize("name", sorted(URLS))
def test_every_role_on_every_url(client, world, name):
    need, obj = URLS[name]
    users = [
        UserFactory(username="s_county_wf", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF)),
        UserFactory(username="s_cfin_wf", role=Role.COUNTY_FINANCE, jurisdiction=jurisdiction(WF)),
        UserFactory(username="s_rev", role=Role.TECH_REVIEWER, jurisdiction=None),
        UserFactory(username="s_fin", role=Role.CITY_FINANCE, jurisdiction=None),
        UserFactory(username="s_admin", role=Role.ADMIN, jurisdiction=None),
        UserFactory(username="s_norole", role="", jurisdiction=None),
    ]
    scoped = obj in SCOPED
    for user in users:
        client.force_login(user)
        for label in ("own", "other") if obj else ("own",):
            url = _url(name, obj, world[label])
            if not _allowed(user, need):
                expected = 403
            elif scoped and label == "other" and user.is_jurisdiction_bound:
                expected = 404  # 林州's row does not exist for 文峰's users
            else:
                expected = 200
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if method == "post" and expected == 200 and name in ACTS_ON_EMPTY_POST:
                    assert status in (200, 302), (user.role, name, label, method, status)
                else:
                    assert status == expected, (user.role, name, label, method, status)
        client.logout()


def test_county_lists_and_exports_hold_only_own_rows(client, world):
    client.force_login(
        UserFactory(username="s_county2", role=Role.COUNTY_OFFICIAL, jurisdiction=jurisdiction(WF))
    )
    for name, own, other in (
        ("registers:carrier_list", "own载体", "other载体"),
        ("registers:counselor_list", "own辅导员", "other辅导员"),
    ):
        body = client.get(reverse(name)).content.decode()
        assert own in body and other not in body, name
    training = client.get(reverse("registers:training_list")).content.decode()
    assert reverse("registers:training_detail", args=[world["own"]["event"]]) in training
    assert reverse("registers:training_detail", args=[world["other"]["event"]]) not in training
    rows = _csv(client.get(reverse("registers:carrier_export", args=["csv"])))
    assert [r[1] for r in rows[1:]] == ["own载体"]
