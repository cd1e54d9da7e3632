"""The plan's 13 tasks: the seeded data, the quarterly reports, the pages showing who has not reported."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import Role
from assessment.models import PlanTask, PlanTaskUnit, TaskProgressReport
from assessment.registers.selectors import REPORT_UPDATED, current_quarter, quarter_of, quarter_status
from assessment.registers.services import task_report_record
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]

# The units each task has today: 国税 and 地税 merged in 2018 into one (TAX), so tasks 1, 2, 6 and 7 name it
# instead of the two; their rows stay, ending with 2017.
UNIT_COUNTS = {1: 3, 2: 3, 3: 4, 4: 3, 5: 2, 6: 3, 7: 1, 8: 2, 9: 3, 10: 1, 11: 2, 12: 2, 13: 2}
TAX = "国家税务总局安阳市税务局"
UNITS_TODAY = sum(UNIT_COUNTS.values())  # 31
YEAR, QUARTER = current_quarter()


def unit(number: int, name: str) -> PlanTaskUnit:
    return PlanTaskUnit.objects.get(task__number=number, unit=name)


def report(number: int, name: str, by, *, year=YEAR, quarter=QUARTER, text="按计划推进"):
    return task_report_record(task_unit=unit(number, name), year=year, quarter=quarter, progress=text, by=by)


# --- the seeded tasks --------------------------------------------------------------------------


def test_migration_seeds_the_13_tasks_and_their_units():
    tasks = list(PlanTask.objects.prefetch_related("units"))
    assert [t.number for t in tasks] == list(range(1, 14))
    today = {t.number: len([u for u in t.units.all() if u.active_in(YEAR)]) for t in tasks}
    assert today == UNIT_COUNTS
    units = {t.number: [u.unit for u in t.units.all()] for t in tasks}
    assert units[1] == ["市科技局", "市财政局", "市国税局", "市地税局", TAX]
    assert units[3] == ["市科技局", "市发展改革委", "市工业和信息化委", "市财政局"]
    assert units[4] == ["市科技局", "各县（市、区）人民政府", "各管委会"]
    assert units[7] == ["市国税局", "市地税局", TAX]
    for number in (1, 2, 6, 7):
        former, merged = unit(number, "市国税局"), unit(number, TAX)
        assert former.active_in(2017) and not former.active_in(2018)
        assert merged.active_in(2018) and not merged.active_in(2017)
        assert str(merged) == "国家税务总局安阳市税务局（原市国税局、市地税局）" and str(former) == "市国税局"
    assert units[9] == ["市科技局", "市工业和信息化委", "市政府金融办"]
    assert units[10] == ["市知识产权局"]
    assert units[13] == ["市科技局", "市工商局"]
    groups = {t.number: t.group for t in tasks}
    assert {groups[n] for n in range(1, 7)} == {"培育源头"}
    assert {groups[n] for n in range(7, 11)} == {"资源配置"}
    assert {groups[n] for n in range(11, 14)} == {"载体建设"}
    assert "小升高" in tasks[0].summary and "30万元" in tasks[0].summary
    assert "20家以上" in tasks[11].summary


# --- reports -----------------------------------------------------------------------------------


def test_reviewer_reports_once_per_quarter_and_an_update_keeps_history(reviewer):
    first, created = report(1, "市财政局", reviewer, text="已拨付奖励资金")
    assert created
    other = UserFactory(username="reviewer2", role=Role.TECH_REVIEWER, jurisdiction=None)
    second, created = report(1, "市财政局", other, text="已拨付奖励资金，另安排专项经费")
    assert not created and second.pk == first.pk
    assert TaskProgressReport.objects.count() == 1
    second.refresh_from_db()
    assert second.progress == "已拨付奖励资金，另安排专项经费" and second.reported_by == other
    entry = AuditLog.objects.get(action=REPORT_UPDATED)
    assert entry.user == other and entry.data["previous"]["progress"] == "已拨付奖励资金"
    assert entry.data["previous"]["reported_by"] == reviewer.pk
    # The same text again changes nothing and logs nothing.
    report(1, "市财政局", other, text="已拨付奖励资金，另安排专项经费")
    assert AuditLog.objects.filter(action=REPORT_UPDATED).count() == 1
    # Another quarter is another report.
    previous_year = YEAR - 1
    _r, created = report(1, "市财政局", reviewer, year=previous_year, quarter=4)
    assert created and TaskProgressReport.objects.count() == 2


def test_report_refusals(reviewer, county_official):
    with pytest.raises(DomainError):
        report(1, "市科技局", county_official)
    with pytest.raises(DomainError) as exc:
        next_year = YEAR + 1
        report(1, "市科技局", reviewer, year=next_year, quarter=1)
    assert exc.value.field == "quarter"
    with pytest.raises(DomainError) as exc:
        report(1, "市科技局", reviewer, year=2017, quarter=4)
    assert exc.value.field == "year"
    with pytest.raises(DomainError) as exc:
        report(1, "市科技局", reviewer, text="   ")
    assert exc.value.field == "progress"
    assert not TaskProgressReport.objects.exists()


def test_quarter_of():
    assert quarter_of(datetime.date(2026, 1, 1)) == (2026, 1)
    assert quarter_of(datetime.date(2026, 3, 31)) == (2026, 1)
    assert quarter_of(datetime.date(2026, 4, 1)) == (2026, 2)
    assert quarter_of(datetime.date(2026, 12, 31)) == (2026, 4)
    assert current_quarter() == quarter_of(timezone.localdate())


def test_quarter_status(reviewer):
    for name in ("市科技局", "市财政局", TAX):
        report(1, name, reviewer)
    report(2, "市科技局", reviewer)
    report(3, "市科技局", reviewer, year=YEAR - 1, quarter=1)  # another quarter: does not count
    status = quarter_status(year=YEAR, quarter=QUARTER)
    assert status.units_total == UNITS_TODAY == 31
    assert len(status.units_missing) == 31 - 4
    assert [t.task.number for t in status.tasks_without_report] == list(range(3, 14))


# --- pages -------------------------------------------------------------------------------------

UNIT_RE = re.compile(r'data-unit="([^"]+)" data-reported="(yes|no)"')


def _units(body: str) -> dict[str, str]:
    return dict(UNIT_RE.findall(body))


def test_plan_page_defaults_to_this_quarter_and_marks_who_has_not_reported(client, reviewer):
    report(1, "市科技局", reviewer)
    report(1, "市财政局", reviewer)
    report(10, "市知识产权局", reviewer)
    client.force_login(reviewer)
    body = client.get(reverse("registers:plan_tasks")).content.decode()
    assert f"{YEAR}年第{QUARTER}季度" in body
    units = _units(body)
    assert len(units) == 31
    assert {k for k, v in units.items() if v == "yes"} == {"1:市科技局", "1:市财政局", "10:市知识产权局"}
    assert body.count("本季度未报送") == 28
    assert 'data-testid="tasks-without-report">11<' in body
    assert 'data-testid="units-missing">28<' in body
    assert "国家税务总局安阳市税务局（原市国税局、市地税局）" in body and ">市国税局<" not in body


def test_the_missing_view_lists_exactly_the_units_without_a_report(client, reviewer):
    for name in ("市科技局", "市财政局", TAX):
        report(1, name, reviewer)
    report(4, "各管委会", reviewer)
    client.force_login(reviewer)
    body = client.get(reverse("registers:plan_tasks"), {"missing": "1"}).content.decode()
    units = _units(body)
    expected = {
        f"{u.task.number}:{u.unit}"
        for u in PlanTaskUnit.objects.select_related("task")
        if u.active_in(YEAR) and not (u.task.number == 1 or (u.task.number == 4 and u.unit == "各管委会"))
    }
    assert set(units) == expected and set(units.values()) == {"no"}
    assert 'data-task="1"' not in body  # every unit of task 1 has reported


def test_plan_page_for_another_quarter(client, reviewer):
    report(5, "市人力资源社会保障局", reviewer, year=YEAR - 1, quarter=2)
    client.force_login(reviewer)
    body = client.get(reverse("registers:plan_tasks"), {"year": YEAR - 1, "quarter": 2}).content.decode()
    assert _units(body)["5:市人力资源社会保障局"] == "yes"
    assert "该季度未报送" in body and "本季度未报送" not in body
    now = client.get(reverse("registers:plan_tasks")).content.decode()
    assert _units(now)["5:市人力资源社会保障局"] == "no"


def test_report_form_records_then_updates(client, reviewer):
    client.force_login(reviewer)
    target = unit(12, "市人力资源社会保障局")
    url = reverse("registers:task_report")
    data = {"task_unit": target.pk, "year": YEAR, "quarter": QUARTER, "progress": "新认定众创空间2家"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('registers:plan_tasks')}?year={YEAR}&quarter={QUARTER}"
    # Opened from the plan page's "更新" link: the form shows the report and says it will update it.
    page = client.get(url, {"unit": target.pk, "year": YEAR, "quarter": QUARTER}).content.decode()
    assert 'data-testid="form-notice"' in page and "新认定众创空间2家" in page
    response = client.post(url, {**data, "progress": "新认定众创空间3家"}, follow=True)
    assert "已更新市人力资源社会保障局" in response.content.decode()
    assert TaskProgressReport.objects.get().progress == "新认定众创空间3家"
    detail = client.get(reverse("registers:plan_task_detail", args=[target.task.number])).content.decode()
    assert (
        "新认定众创空间3家" in detail
        and 'data-testid="revisions"' in detail
        and "新认定众创空间2家" in detail
    )


def test_report_form_keeps_input_on_refusal(client, reviewer, monkeypatch):
    monkeypatch.setattr("assessment.registers.selectors.current_quarter", lambda: (YEAR, 1))
    client.force_login(reviewer)
    target = unit(2, "市科技局")
    response = client.post(
        reverse("registers:task_report"),
        {"task_unit": target.pk, "year": YEAR, "quarter": 2, "progress": "已遴选后备企业"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "未保存" in body and "不能登记尚未开始的季度的进展" in body
    assert "已遴选后备企业" in body
    assert not TaskProgressReport.objects.exists()


def test_task_detail_lists_reports_by_quarter(client, reviewer, county_official):
    report(7, TAX, reviewer, text="本季度减免所得税", year=YEAR - 1, quarter=3)
    report(7, TAX, reviewer, text="备案简化")
    task = PlanTask.objects.get(number=7)
    client.force_login(county_official)  # anyone who sees the assessment sees the plan
    body = client.get(reverse("registers:plan_task_detail", args=[task.number])).content.decode()
    periods = re.findall(r'data-period="(\d+Q\d)"', body)
    assert periods == [f"{YEAR}Q{QUARTER}", f"{YEAR - 1}Q3"]
    assert "本季度减免所得税" in body and "备案简化" in body
    assert reverse("registers:task_report") not in body  # no TASK_REPORT: no links to the form
    assert client.get(reverse("registers:task_report")).status_code == 403


def test_plan_page_queries_are_constant(client, reviewer, django_assert_max_num_queries):
    for t in PlanTaskUnit.objects.select_related("task").filter(active_until__isnull=True):
        task_report_record(task_unit=t, year=YEAR, quarter=QUARTER, progress="推进中", by=reviewer)
    client.force_login(reviewer)
    with django_assert_max_num_queries(
        10
    ):  # + the session's renewal (idle timeout) and the second factor's device: two per request
        assert client.get(reverse("registers:plan_tasks")).status_code == 200


def test_unknown_task_number_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("registers:plan_task_detail", args=[14])).status_code == 404


def test_report_form_opens_on_the_quarter_of_the_link(client, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("registers:task_report"), {"year": YEAR - 1, "quarter": 2}).content.decode()
    assert f'<option value="{YEAR - 1}" selected>' in body and '<option value="2" selected>' in body
    assert 'data-testid="form-notice"' not in body
    # Garbage in the link falls back to this quarter rather than failing.
    assert client.get(reverse("registers:task_report"), {"unit": "x", "year": "y"}).status_code == 200


def test_the_former_tax_bureaus_no_longer_report_and_their_history_stays_readable(client, reviewer):
    with pytest.raises(DomainError) as exc:
        report(7, "市国税局", reviewer)
    assert exc.value.field == "task_unit" and "已不是责任单位" in exc.value.message
    # A report the former bureau made (before the merger was recorded) is still shown with its quarter.
    TaskProgressReport.objects.create(
        task_unit=unit(7, "市地税局"),
        year=2018,
        quarter=1,
        progress="落实研发费用加计扣除",
        reported_by=reviewer,
    )
    status = quarter_status(year=2018, quarter=1)
    task7 = next(t for t in status.tasks if t.task.number == 7)
    assert [u.unit.unit for u in task7.units] == ["市地税局", TAX]
    client.force_login(reviewer)
    detail = client.get(reverse("registers:plan_task_detail", args=[7])).content.decode()
    assert "落实研发费用加计扣除" in detail and "<td>市地税局</td>" in detail
    assert "责任单位：国家税务总局安阳市税务局（原市国税局、市地税局）<" in detail
    form = client.get(reverse("registers:task_report")).content.decode()
    assert (
        "任务7 · 国家税务总局安阳市税务局（原市国税局、市地税局）" in form and "任务7 · 市国税局" not in form
    )
