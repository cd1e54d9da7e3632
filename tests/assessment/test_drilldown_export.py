"""The drill-down's export: every row behind the number, the page's columns and order, a totals row."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction

pytestmark = [pytest.mark.django_db]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_drilldown_export_has_the_pages_rows_and_a_total(client, county_official, other_county_official):
    year = timezone.localdate().year
    wf = jurisdiction("410502")
    for name in ("安阳乙科技有限公司", "安阳甲科技有限公司"):
        QualificationFactory(enterprise=EnterpriseFactory(name=name, jurisdiction=wf), kind="hte")
    client.force_login(county_official)
    url = reverse("assessment:drilldown", args=["410502", "valid_hte"])
    page = client.get(url, {"year": year}).content.decode()
    export = reverse("assessment:drilldown_export", args=["410502", "valid_hte", "csv"])
    assert export in page
    rows = _csv(client.get(export, {"year": year}))
    assert rows[0][:3] == ["序号", "企业名称", "统一社会信用代码"] and "证书/登记编号" in rows[0]
    names = [r[1] for r in rows[1:-1]]
    assert names == sorted(names) and len(names) == 2
    assert rows[-1][0] == "合计：2条"
    # Another county's drill-down is as closed to the export as to the page.
    client.force_login(other_county_official)
    assert client.get(export, {"year": year}).status_code == 404
    assert (
        client.get(reverse("assessment:drilldown_export", args=["410502", "valid_hte", "pdf"])).status_code
        == 404
    )
