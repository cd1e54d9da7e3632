"""Exports next to the training, counselor and plan-task tables: scoped and filtered as the page, in the
order the page shows (its sort), every row, and a totals row."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment.models import PlanTaskUnit
from assessment.registers.selectors import current_quarter
from assessment.registers.services import task_report_record
from tests.factories import EnterpriseFactory, jurisdiction

from .test_registers import LZ, THIS_YEAR, WF, _csv, make_counselor, make_event

pytestmark = [pytest.mark.django_db]


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(ws.iter_rows(values_only=True))


def test_training_export_is_scoped_filtered_sorted_and_totalled(client, county_official):
    firms = [EnterpriseFactory(jurisdiction=jurisdiction(WF)) for _ in range(3)]
    make_event(held_on=datetime.date(THIS_YEAR, 3, 1), topic="研发费用归集", enterprises=firms[:2])
    make_event(held_on=datetime.date(THIS_YEAR, 1, 5), topic="高企认定政策", enterprises=firms)
    make_event(held_on=datetime.date(THIS_YEAR - 1, 6, 1), topic="去年的培训", enterprises=firms[:1])
    make_event(LZ, topic="林州市的培训")
    client.force_login(county_official)
    page = client.get(reverse("registers:training_list")).content.decode()
    assert reverse("registers:training_export", args=["xlsx"]) in page
    rows = _csv(client.get(reverse("registers:training_export", args=["csv"]), {"year": THIS_YEAR}))
    assert rows[0] == ["序号", "日期", "县区", "主题", "参训企业（家）"]
    assert [r[3] for r in rows[1:-1]] == ["研发费用归集", "高企认定政策"]  # newest first, as on the page
    assert rows[-1] == ["合计：2场", "", "", "", "5"]
    # The page's sort: oldest first.
    rows = _csv(client.get(reverse("registers:training_export", args=["csv"]), {"sort": "held_on"}))
    assert [r[3] for r in rows[1:-1]] == ["去年的培训", "高企认定政策", "研发费用归集"]
    sheet = _xlsx(client.get(reverse("registers:training_export", args=["xlsx"])))
    assert sheet[1][1] == "日期" and sheet[-1][0] == "合计：3场" and sheet[-1][4] == 6


def test_counselor_export_is_scoped_filtered_and_totalled(client, county_official):
    firm = EnterpriseFactory(jurisdiction=jurisdiction(WF))
    make_counselor("张辅导", enterprises=[firm])
    idle = make_counselor("李辅导")
    idle.active = False
    idle.save()
    make_counselor("林州辅导", code=LZ)
    client.force_login(county_official)
    page = client.get(reverse("registers:counselor_list")).content.decode()
    assert reverse("registers:counselor_export", args=["csv"]) in page
    rows = _csv(client.get(reverse("registers:counselor_export", args=["csv"])))
    assert rows[0] == ["序号", "姓名", "单位", "电话", "县区", "辅导企业（家）", "在岗"]
    assert [r[1] for r in rows[1:-1]] == ["张辅导", "李辅导"]  # 林州市's is not in 文峰区's export
    assert rows[-1][0] == "合计：2人，在岗1人" and rows[-1][5] == "1"
    rows = _csv(client.get(reverse("registers:counselor_export", args=["csv"]), {"active": "yes"}))
    assert [r[1] for r in rows[1:-1]] == ["张辅导"]
    rows = _csv(client.get(reverse("registers:counselor_export", args=["csv"]), {"sort": "-name"}))
    assert [r[1] for r in rows[1:-1]] == ["李辅导", "张辅导"]


def test_plan_task_export_lists_the_quarter_unit_by_unit(client, reviewer):
    year, quarter = current_quarter()
    unit = PlanTaskUnit.objects.get(task__number=1, unit="市科技局")
    task_report_record(task_unit=unit, year=year, quarter=quarter, progress="已遴选培育企业", by=reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("registers:plan_tasks")).content.decode()
    assert reverse("registers:plan_tasks_export", args=["xlsx"]) in page
    rows = _csv(client.get(reverse("registers:plan_tasks_export", args=["csv"])))
    assert rows[0][:5] == ["任务", "类别", "任务内容", "责任单位", "报送情况"]
    body = rows[1:-1]
    assert (
        len(body) == 31
        and body[0][3] == "市科技局"
        and body[0][4] == "已报送"
        and body[0][5] == "已遴选培育企业"
    )
    assert "国家税务总局安阳市税务局（原市国税局、市地税局）" in [r[3] for r in body]
    assert rows[-1][0] == "合计：31个责任单位，已报送1个，未报送30个"
    missing = _csv(client.get(reverse("registers:plan_tasks_export", args=["csv"]), {"missing": "1"}))
    assert len(missing) == 32 and all(r[4] == "未报送" for r in missing[1:-1])
    sheet = _xlsx(client.get(reverse("registers:plan_tasks_export", args=["xlsx"])))
    assert f"{year}年第{quarter}季度" in sheet[0][0]


def test_an_unknown_export_format_is_404(client, reviewer):
    client.force_login(reviewer)
    for name in ("training_export", "counselor_export", "plan_tasks_export"):
        assert client.get(reverse(f"registers:{name}", args=["pdf"])).status_code == 404
