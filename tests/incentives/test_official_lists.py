"""Official lists: reading the province's file, matching enterprises, the preview (what an import would
do, written nowhere) and the import that confirms it, recording qualifications (and so rewards), the
reviewer's follow-up on unmatched rows, and the import_certified_list command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import AuditLog
from anyang_hte.core.roles import SystemActor
from enterprises.models import Enterprise, Qualification
from incentives.management.commands.import_certified_list import Command
from incentives.models import FundingLine, OfficialList, OfficialListRow, Reward, RewardRule
from incentives.official_lists import read_official_list
from incentives.services import (
    official_list_import,
    official_list_preview,
    official_list_row_create,
    official_list_row_ignore,
    official_list_row_link,
)
from tests.factories import EnterpriseFactory, QualificationFactory, jurisdiction, make_credit_code

pytestmark = pytest.mark.django_db

GRANTED = datetime.date(2025, 11, 30)
TITLE = "河南省2025年第一批认定高新技术企业名单"
HEADER = ["序号", "企业名称", "统一社会信用代码", "证书编号", "所在地"]

CODE_A = make_credit_code(501)
CODE_OTHER_CITY = make_credit_code(502, region="410102")  # 郑州
CODE_NEW = make_credit_code(503, region="410522")


def xlsx(rows, *, header=HEADER, title=TITLE) -> bytes:
    """A list as the province publishes it: a merged title row and a blank row above the header."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def enterprises():
    by_code = EnterpriseFactory(name="安阳市甲科技有限公司", credit_code=CODE_A)
    by_name = EnterpriseFactory(
        name="安阳市华远（河南）新材料有限公司",
        credit_code=make_credit_code(504),
        jurisdiction=jurisdiction("410581"),
    )
    return by_code, by_name


def list_rows():
    return [
        # lower-case code with spaces, name as the province spells it (different from the ledger's)
        [
            1,
            "安阳市甲科技股份公司",
            " " + CODE_A.lower()[:9] + " " + CODE_A.lower()[9:],
            "GR202541000101",
            "安阳市",
        ],
        # no code; half-width brackets and a space where the ledger has full-width brackets
        [2, "安阳市华远 (河南)新材料有限公司", None, "GR202541000102", "安阳市"],
        # another city's enterprise: never in the portal
        [3, "郑州市乙软件有限公司", CODE_OTHER_CITY, "GR202541000103", "郑州市"],
        # an Anyang enterprise the ledger does not know yet, without a code
        [4, "安阳新星光电有限公司", None, "GR202541000104", "安阳市"],
        ["合计", None, None, None, None],
    ]


def run(data: bytes, by, *, filename="名单.xlsx", kind="hte", granted_on=GRANTED, **kwargs):
    return official_list_import(
        fileobj=io.BytesIO(data), filename=filename, kind=kind, granted_on=granted_on, by=by, **kwargs
    )


# --- reading the file ----------------------------------------------------------------------------


def test_reader_finds_the_header_below_title_rows_and_normalises_codes():
    parsed = read_official_list(xlsx(list_rows()), "名单.xlsx")
    assert parsed.title == TITLE
    assert [r.number for r in parsed.rows] == [4, 5, 6, 7]  # title, blank, header; the 合计 row skipped
    assert parsed.rows[0].credit_code == CODE_A
    assert parsed.rows[0].certificate_number == "GR202541000101"
    assert parsed.rows[1].credit_code == ""


def test_reader_accepts_header_variants_and_gbk_csv():
    text = (
        "2025年科技型中小企业入库名单\n"
        "序号,单位名称,社会信用代码,证书号,地市\n"
        f"1,安阳市甲科技有限公司,{CODE_A},202541050200001,安阳\n"
        "2,,,,\n"
    )
    parsed = read_official_list(text.encode("gb18030"), "list.csv")
    assert len(parsed.rows) == 1
    row = parsed.rows[0]
    assert (row.number, row.name, row.credit_code, row.certificate_number) == (
        3,
        "安阳市甲科技有限公司",
        CODE_A,
        "202541050200001",
    )


def test_reader_without_a_code_column():
    parsed = read_official_list(xlsx([[1, "安阳市甲科技有限公司"]], header=["序号", "企业名称"]), "a.xlsx")
    assert parsed.rows[0].credit_code == "" and parsed.rows[0].certificate_number == ""


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (xlsx([[1, "x"]], header=["序号", "名字"]), "a.xlsx", "没有找到表头"),
        (b"not a zip", "a.xlsx", "无法读取 Excel 文件"),
        (b"whatever", "a.xls", ".xls"),
        (b"whatever", "a.pdf", ".xlsx 或 .csv"),
        (xlsx([]), "a.xlsx", "没有读到任何企业"),
    ],
)
def test_bad_files_are_refused_with_a_reason(reviewer, data, filename, message):
    with pytest.raises(DomainError, match=message):
        run(data, reviewer, filename=filename)
    assert not OfficialList.objects.exists()


def test_empty_file_refused(reviewer):
    with pytest.raises(DomainError, match="空"):
        run(b"", reviewer)


# --- malformed credit codes -----------------------------------------------------------------------

SHORT = CODE_A[:17]  # one character missing
BAD_CHECK = CODE_A[:-1] + ("1" if CODE_A[-1] != "1" else "2")
ILLEGAL = CODE_A[:10] + "O" + CODE_A[11:]  # the letter O is not in the code's alphabet


def test_malformed_codes_are_warned_about_with_the_row_and_the_value_as_typed():
    rows = [
        [1, "安阳市甲科技有限公司", SHORT, None, None],
        [2, "乙公司", " " + BAD_CHECK.lower(), None, None],
        [3, "丙公司", ILLEGAL, None, None],
        [4, "丁公司", CODE_A, None, None],
    ]
    parsed = read_official_list(xlsx(rows), "名单.xlsx")
    warnings = [r.code_warning for r in parsed.rows]
    assert warnings[0] == f"第4行：统一社会信用代码“{SHORT}”为17位，应为18位。"
    assert warnings[1].startswith(f"第5行：统一社会信用代码“{BAD_CHECK.lower()}”第18位校验码不符")
    assert warnings[2].startswith(f"第6行：统一社会信用代码“{ILLEGAL}”含有不允许的字符“O”")
    assert warnings[3] == ""
    assert parsed.rows[1].credit_code == BAD_CHECK  # normalised, kept as the list gives it


def test_a_malformed_code_matches_by_name_only_and_its_warning_stays(reviewer, enterprises):
    by_code, _by_name = enterprises
    rows = [
        # the ledger's name: matched by name, although the code is one character short
        [1, "安阳市甲科技有限公司", SHORT, None, None],
        # a name the ledger does not know: unmatched (a malformed code is never looked up)
        [2, "不相干的公司", BAD_CHECK, None, None],
    ]
    data = xlsx(rows)
    plan = official_list_preview(
        fileobj=io.BytesIO(data), filename="名单.xlsx", kind="hte", granted_on=GRANTED, by=reviewer
    )
    first, second = plan.rows
    assert (first.outcome, first.enterprise, first.matched_by) == ("new", by_code, "name")
    assert "为17位，应为18位" in first.warning
    assert (second.outcome, second.enterprise) == ("unmatched", None)
    assert "校验码不符" in second.warning
    assert len(plan.warnings) == 2

    result = run(data, reviewer, expected_digest=plan.digest)

    stored = {r.row_number: r for r in result.list.rows.all()}
    assert stored[4].status == OfficialListRow.Status.MATCHED and stored[4].enterprise == by_code
    assert "为17位" in stored[4].warning and "校验码不符" in stored[5].warning
    ignored = official_list_row_ignore(row=stored[5], by=reviewer, reason="外市企业")
    assert ignored.note == "外市企业" and "校验码不符" in ignored.warning  # the warning stays


# --- the preview -----------------------------------------------------------------------------------


def preview(data: bytes, by, *, kind="hte", granted_on=GRANTED, title=""):
    return official_list_preview(
        fileobj=io.BytesIO(data), filename="名单.xlsx", kind=kind, granted_on=granted_on, by=by, title=title
    )


def _everything():
    return (
        OfficialList.objects.count(),
        OfficialListRow.objects.count(),
        Qualification.objects.count(),
        Reward.objects.count(),
        FundingLine.objects.count(),
        AuditLog.objects.count(),
        Enterprise.objects.count(),
    )


def test_preview_says_what_would_happen_and_writes_nothing(reviewer, enterprises):
    by_code, by_name = enterprises
    before = _everything()

    plan = preview(xlsx(list_rows()), reviewer)

    assert _everything() == before
    rows = {r.number: r for r in plan.rows}
    assert (rows[4].outcome, rows[4].enterprise, rows[4].matched_by) == ("new", by_code, "code")
    assert (rows[5].outcome, rows[5].enterprise, rows[5].matched_by) == ("new", by_name, "name")
    assert rows[6].outcome == rows[7].outcome == "unmatched"
    hte_new = RewardRule.objects.get(code="HTE_NEW")
    for number in (4, 5):
        (reward,) = rows[number].rewards
        assert reward.rule == hte_new
        assert (reward.amount, reward.city_amount, reward.county_amount) == (
            Decimal("300000.00"),
            Decimal("150000.00"),
            Decimal("150000.00"),
        )
    assert (plan.new, plan.recorded, plan.unmatched, plan.matched) == (2, 0, 2, 2)
    assert (len(plan.rewards), plan.amount) == (2, Decimal("600000.00"))
    assert (plan.city_amount, plan.county_amount) == (Decimal("300000.00"), Decimal("300000.00"))
    assert plan.title == TITLE and plan.already_imported is None


def test_preview_reports_grants_already_recorded_and_repeated_rows(reviewer, enterprises):
    by_code, by_name = enterprises
    QualificationFactory(enterprise=by_name, kind="hte", granted_on=GRANTED)
    rows = [*list_rows()[:2], [9, "安阳市甲科技有限公司", None, "GR202541000101", "安阳市"]]

    plan = preview(xlsx(rows), reviewer)

    outcomes = [(r.number, r.outcome, r.enterprise) for r in plan.rows]
    assert outcomes == [(4, "new", by_code), (5, "recorded", by_name), (6, "recorded", by_code)]
    assert "与第4行为同一企业" in plan.rows[2].note
    assert [len(r.rewards) for r in plan.rows] == [1, 0, 0]
    assert (plan.new, plan.recorded, plan.amount) == (1, 2, Decimal("300000.00"))


def test_preview_money_follows_the_engine_rules(reviewer, enterprises):
    by_code, by_name = enterprises
    # by_name was certified before (2022): 重新认定 is not 新认定, the first-time-only rule pays nothing
    QualificationFactory(enterprise=by_name, kind="hte", granted_on=datetime.date(2022, 11, 30))
    data = xlsx(list_rows()[:2])
    hte = preview(data, reviewer)
    assert [len(r.rewards) for r in hte.rows] == [1, 0]

    giant = preview(xlsx(list_rows()[:1]), reviewer, kind="little_giant")
    (reward,) = giant.rows[0].rewards
    assert (reward.rule.code, reward.city_amount, reward.county_amount) == (
        "LITTLE_GIANT",
        Decimal("300000.00"),
        Decimal("0.00"),
    )
    # no rule in force on that date (the policy starts 2017-12-29): matched, but no money
    early = preview(xlsx(list_rows()[:1]), reviewer, granted_on=datetime.date(2016, 6, 1))
    assert early.rows[0].outcome == "new" and early.rewards == []

    # what the import then creates is exactly what the preview showed
    run(data, reviewer, expected_digest=hte.digest)
    assert list(Reward.objects.values_list("enterprise", "rule__code", "amount")) == [
        (by_code.pk, "HTE_NEW", Decimal("300000.00"))
    ]


def test_preview_of_an_imported_list_says_so(reviewer, enterprises):
    data = xlsx(list_rows())
    result = run(data, reviewer)
    plan = preview(data, reviewer)
    assert plan.already_imported == result.list
    assert plan.new == 0 and plan.rewards == []


def test_preview_is_for_the_tech_bureau_only(county_official, enterprises):
    with pytest.raises(DomainError, match="权限"):
        preview(xlsx(list_rows()), county_official)


def test_confirm_imports_exactly_the_preview(reviewer, enterprises):
    data = xlsx(list_rows())
    plan = preview(data, reviewer)
    result = run(data, reviewer, expected_digest=plan.digest)
    assert (result.matched, result.unmatched, result.new_qualifications, result.new_rewards) == (2, 2, 2, 2)
    assert AuditLog.objects.get(action="incentives.official_list.imported").data["previewed"] is True


@pytest.mark.parametrize(
    "change",
    [
        "ledger gains the unmatched enterprise",
        "grant recorded meanwhile",
        "rule amount changed",
        "enterprise moved county",
        "other file",
    ],
)
def test_confirm_refuses_a_stale_preview_and_writes_nothing(reviewer, enterprises, change):
    by_code, _by_name = enterprises
    data = xlsx(list_rows())
    plan = preview(data, reviewer)
    if change == "ledger gains the unmatched enterprise":
        EnterpriseFactory(name="安阳新星光电有限公司", credit_code=CODE_NEW)
    elif change == "grant recorded meanwhile":
        QualificationFactory(enterprise=by_code, kind="hte", granted_on=GRANTED)
    elif change == "rule amount changed":
        RewardRule.objects.filter(code="HTE_NEW").update(county_amount=Decimal("100000.00"))
    elif change == "enterprise moved county":
        Enterprise.objects.filter(pk=by_code.pk).update(jurisdiction=jurisdiction("410522"))
    else:
        data = xlsx(list_rows()[:3])
    before = _everything()

    with pytest.raises(DomainError, match="预览之后有了变化"):
        run(data, reviewer, expected_digest=plan.digest)

    assert _everything() == before


# --- importing -----------------------------------------------------------------------------------


def test_rows_match_by_code_else_by_normalised_name(reviewer, enterprises):
    by_code, by_name = enterprises
    result = run(xlsx(list_rows()), reviewer)

    assert (result.matched, result.unmatched, result.new_qualifications) == (2, 2, 2)
    assert not result.already_imported
    rows = {r.row_number: r for r in result.list.rows.all()}
    assert rows[4].status == OfficialListRow.Status.MATCHED and rows[4].enterprise == by_code
    assert rows[5].status == OfficialListRow.Status.MATCHED and rows[5].enterprise == by_name
    assert rows[6].status == rows[7].status == OfficialListRow.Status.UNMATCHED
    assert rows[6].enterprise is None and rows[6].qualification is None

    official = result.list
    assert (official.kind, official.granted_on, official.title, official.filename) == (
        "hte",
        GRANTED,
        TITLE,
        "名单.xlsx",
    )
    assert official.uploaded_by == reviewer and len(official.checksum) == 64
    assert (official.matched, official.unmatched, official.new_qualifications) == (2, 2, 2)


def test_matched_rows_record_qualifications_from_the_official_list(reviewer, enterprises):
    by_code, by_name = enterprises
    run(xlsx(list_rows()), reviewer)

    for enterprise, number in ((by_code, "GR202541000101"), (by_name, "GR202541000102")):
        qualification = Qualification.objects.get(enterprise=enterprise)
        assert qualification.kind == "hte"
        assert qualification.granted_on == GRANTED
        assert qualification.number == number
        assert qualification.source == Qualification.Source.OFFICIAL_LIST
        assert qualification.expires_on == datetime.date(2028, 11, 29)
        assert OfficialListRow.objects.get(enterprise=enterprise).qualification == qualification
    by_code.refresh_from_db()
    assert by_code.stage == "hte"
    assert AuditLog.objects.filter(action="incentives.official_list.imported").count() == 1


def test_new_rewards_are_counted(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer)

    rewards = Reward.objects.filter(qualification__source=Qualification.Source.OFFICIAL_LIST)
    assert result.new_rewards == rewards.count() == result.list.new_rewards
    # 新认定高新技术企业奖励: 300,000 yuan each for the two newly certified enterprises
    assert sorted(rewards.values_list("rule__code", flat=True)) == ["HTE_NEW", "HTE_NEW"]
    assert all(r.amount == Decimal("300000.00") for r in rewards)


def test_little_giant_list_gives_the_little_giant_reward(reviewer, enterprises):
    result = run(xlsx(list_rows()[:1]), reviewer, kind="little_giant")
    assert (result.matched, result.new_qualifications, result.new_rewards) == (1, 1, 1)
    assert Reward.objects.get().rule.code == "LITTLE_GIANT"


def test_unmatched_rows_are_listed_for_the_reviewer(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer)
    assert [(r.row_number, r.name, r.credit_code) for r in result.unmatched_rows] == [
        (6, "郑州市乙软件有限公司", CODE_OTHER_CITY),
        (7, "安阳新星光电有限公司", ""),
    ]
    assert all(r.pk for r in result.unmatched_rows)


def test_same_list_twice_changes_nothing(reviewer, enterprises):
    data = xlsx(list_rows())
    first = run(data, reviewer)
    counts = (Qualification.objects.count(), Reward.objects.count(), OfficialListRow.objects.count())

    second = run(data, reviewer)

    assert second.already_imported
    assert second.list.pk == first.list.pk
    assert (second.new_qualifications, second.new_rewards) == (0, 0)
    assert (second.matched, second.unmatched) == (2, 2)
    assert [r.row_number for r in second.unmatched_rows] == [6, 7]
    assert OfficialList.objects.count() == 1
    assert (Qualification.objects.count(), Reward.objects.count(), OfficialListRow.objects.count()) == counts


def test_another_file_with_rows_already_recorded_adds_no_qualification(reviewer, enterprises):
    run(xlsx(list_rows()), reviewer)
    again = xlsx(list_rows()[:2], title="（更正）" + TITLE)  # a different file: a new list, same grants

    result = run(again, reviewer)

    assert not result.already_imported
    assert (result.matched, result.new_qualifications, result.new_rewards) == (2, 0, 0)
    assert Qualification.objects.count() == 2


def test_the_same_file_for_another_date_is_another_list(reviewer, enterprises):
    data = xlsx(list_rows()[:1])
    run(data, reviewer)
    result = run(data, reviewer, granted_on=GRANTED - datetime.timedelta(days=365))
    assert not result.already_imported and result.new_qualifications == 1
    assert OfficialList.objects.count() == 2


def test_existing_qualification_on_that_date_is_matched_but_nothing_new(reviewer, enterprises):
    by_code, _by_name = enterprises
    held = QualificationFactory(enterprise=by_code, kind="hte", granted_on=GRANTED, number="GR-MANUAL")

    result = run(xlsx(list_rows()[:1]), reviewer)

    assert (result.matched, result.new_qualifications, result.new_rewards) == (1, 0, 0)
    assert result.list.rows.get().qualification == held
    assert Qualification.objects.count() == 1


def test_the_same_enterprise_twice_in_a_file_is_recorded_once(reviewer, enterprises):
    rows = list_rows()[:1] + [[9, "安阳市甲科技有限公司", None, "GR202541000101", "安阳市"]]
    result = run(xlsx(rows), reviewer)
    assert (result.matched, result.new_qualifications) == (2, 1)
    assert Qualification.objects.count() == 1


def test_name_shared_by_two_enterprises_is_left_for_the_reviewer(reviewer):
    EnterpriseFactory(name="安阳市丙科技有限公司")
    EnterpriseFactory(name="安阳市丙科技有限公司", jurisdiction=jurisdiction("410522"))
    result = run(xlsx([[1, "安阳市丙科技有限公司", None, None, None]]), reviewer)
    assert result.unmatched == 1
    assert "2家企业" in result.unmatched_rows[0].note


def test_name_match_with_a_different_code_is_flagged(reviewer, enterprises):
    _by_code, by_name = enterprises
    stray = make_credit_code(777)
    result = run(xlsx([[1, "安阳市华远（河南）新材料有限公司", stray, None, None]]), reviewer)
    row = result.list.rows.get()
    assert row.enterprise == by_name and row.credit_code == stray
    assert by_name.credit_code in row.note


def test_dry_run_writes_nothing_but_counts(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer, dry_run=True)

    assert result.dry_run
    assert (result.matched, result.unmatched, result.new_qualifications) == (2, 2, 2)
    assert result.new_rewards == 2
    assert [r.row_number for r in result.unmatched_rows] == [6, 7]
    assert not OfficialList.objects.exists()
    assert not OfficialListRow.objects.exists()
    assert not Qualification.objects.exists()
    assert not Reward.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="incentives.").exists()


def test_dry_run_of_an_imported_list_reports_it(reviewer, enterprises):
    data = xlsx(list_rows())
    run(data, reviewer)
    result = run(data, reviewer, dry_run=True)
    assert result.already_imported and result.new_qualifications == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "nonsense"}, "未知的资质类型"),
        ({"granted_on": timezone.localdate() + datetime.timedelta(days=3)}, "晚于今天"),
        ({"granted_on": "2025-11-30"}, "认定日期"),
    ],
)
def test_bad_kind_or_date_refused(reviewer, enterprises, kwargs, message):
    with pytest.raises(DomainError, match=message):
        run(xlsx(list_rows()), reviewer, **kwargs)
    assert not Qualification.objects.exists()


# --- permissions ---------------------------------------------------------------------------------


def test_county_official_may_not_import(county_official, enterprises):
    with pytest.raises(DomainError, match="权限"):
        run(xlsx(list_rows()), county_official)
    assert not OfficialList.objects.exists() and not Qualification.objects.exists()


def test_county_official_may_not_link_create_or_ignore(reviewer, county_official, enterprises):
    result = run(xlsx(list_rows()), reviewer)
    row = result.unmatched_rows[1]
    with pytest.raises(DomainError, match="权限"):
        official_list_row_link(row=row, enterprise=enterprises[0], by=county_official)
    with pytest.raises(DomainError, match="权限"):
        official_list_row_create(
            row=row, jurisdiction=jurisdiction("410502"), credit_code=CODE_NEW, by=county_official
        )
    with pytest.raises(DomainError, match="权限"):
        official_list_row_ignore(row=row, by=county_official, reason="外市企业")
    row.refresh_from_db()
    assert row.status == OfficialListRow.Status.UNMATCHED


def test_the_command_acts_as_the_named_system(enterprises):
    result = run(xlsx(list_rows()), SystemActor("command import_certified_list"))
    assert result.new_qualifications == 2 and result.list.uploaded_by is None
    log = AuditLog.objects.get(action="incentives.official_list.imported")
    assert log.user is None and log.data["system"] == "command import_certified_list"


def test_nobody_named_is_refused_and_nothing_is_written(enterprises):
    with pytest.raises(DomainError, match="导入认定名单"):
        run(xlsx(list_rows()), None)
    assert not OfficialList.objects.exists() and not Qualification.objects.exists()


# --- the reviewer's follow-up ----------------------------------------------------------------------


def test_link_an_unmatched_row_records_the_qualification(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer)
    ledger_name = EnterpriseFactory(name="安阳新星光电科技有限公司")  # the ledger's name differs
    row = result.unmatched_rows[1]

    row = official_list_row_link(row=row, enterprise=ledger_name, by=reviewer)

    assert row.status == OfficialListRow.Status.LINKED and row.enterprise == ledger_name
    qualification = row.qualification
    assert (qualification.enterprise, qualification.kind, qualification.granted_on) == (
        ledger_name,
        "hte",
        GRANTED,
    )
    assert qualification.number == "GR202541000104"
    assert qualification.source == Qualification.Source.OFFICIAL_LIST
    assert Reward.objects.filter(qualification=qualification).count() == 1
    official = OfficialList.objects.get()
    assert (official.matched, official.unmatched, official.new_qualifications, official.new_rewards) == (
        3,
        1,
        3,
        3,
    )
    assert AuditLog.objects.filter(action="incentives.official_list_row.linked", user=reviewer).exists()


def test_a_linked_row_cannot_be_linked_again(reviewer, enterprises):
    row = run(xlsx(list_rows()), reviewer).unmatched_rows[1]
    official_list_row_link(row=row, enterprise=enterprises[0], by=reviewer)
    with pytest.raises(DomainError, match="已关联"):
        official_list_row_link(row=row, enterprise=enterprises[1], by=reviewer)
    with pytest.raises(DomainError, match="已关联"):
        official_list_row_ignore(row=row, by=reviewer, reason="x")


def test_matched_rows_are_final(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer)
    matched = result.list.rows.get(row_number=4)
    with pytest.raises(DomainError, match="已匹配"):
        official_list_row_link(row=matched, enterprise=enterprises[1], by=reviewer)


def test_create_the_enterprise_of_an_unmatched_row(reviewer, enterprises):
    result = run(xlsx(list_rows()), reviewer)
    row = result.unmatched_rows[1]
    anyang_county = jurisdiction("410522")

    row = official_list_row_create(
        row=row, jurisdiction=anyang_county, credit_code=" " + CODE_NEW.lower(), by=reviewer
    )

    enterprise = Enterprise.objects.get(credit_code=CODE_NEW)
    assert (enterprise.name, enterprise.jurisdiction) == ("安阳新星光电有限公司", anyang_county)
    assert row.status == OfficialListRow.Status.CREATED and row.enterprise == enterprise
    assert row.qualification.source == Qualification.Source.OFFICIAL_LIST
    reward = Reward.objects.get(qualification=row.qualification)
    assert reward.jurisdiction == anyang_county
    official = OfficialList.objects.get()
    assert (official.matched, official.unmatched, official.new_qualifications) == (3, 1, 3)


def test_create_uses_the_lists_code_when_none_given(reviewer, enterprises):
    row = run(xlsx(list_rows()), reviewer).unmatched_rows[0]
    official_list_row_create(row=row, jurisdiction=jurisdiction("410502"), credit_code="", by=reviewer)
    assert Enterprise.objects.get(credit_code=CODE_OTHER_CITY).name == "郑州市乙软件有限公司"


def test_create_with_a_bad_code_is_refused_and_writes_nothing(reviewer, enterprises):
    row = run(xlsx(list_rows()), reviewer).unmatched_rows[1]
    wrong_check = CODE_NEW[:-1] + ("1" if CODE_NEW[-1] != "1" else "2")
    with pytest.raises(DomainError, match="校验"):
        official_list_row_create(
            row=row, jurisdiction=jurisdiction("410502"), credit_code=wrong_check, by=reviewer
        )
    with pytest.raises(DomainError, match="请填写"):
        official_list_row_create(row=row, jurisdiction=jurisdiction("410502"), credit_code="", by=reviewer)
    row.refresh_from_db()
    assert row.status == OfficialListRow.Status.UNMATCHED
    assert Enterprise.objects.count() == 2


def test_create_with_a_registered_code_points_to_the_enterprise(reviewer, enterprises):
    row = run(xlsx(list_rows()), reviewer).unmatched_rows[1]
    with pytest.raises(DomainError, match="已登记"):
        official_list_row_create(
            row=row, jurisdiction=jurisdiction("410502"), credit_code=CODE_A, by=reviewer
        )


def test_ignore_a_row_of_another_city(reviewer, enterprises):
    row = run(xlsx(list_rows()), reviewer).unmatched_rows[0]
    with pytest.raises(DomainError, match="原因"):
        official_list_row_ignore(row=row, by=reviewer, reason="  ")

    row = official_list_row_ignore(row=row, by=reviewer, reason="郑州市企业，不属本市")

    assert row.status == OfficialListRow.Status.IGNORED and row.note == "郑州市企业，不属本市"
    official = OfficialList.objects.get()
    assert (official.matched, official.unmatched) == (2, 1)
    # ignored by mistake: it can still be linked
    official_list_row_link(row=row, enterprise=enterprises[0], by=reviewer)
    official.refresh_from_db()
    assert (official.matched, official.unmatched) == (3, 1)


# --- the command -----------------------------------------------------------------------------------


@pytest.fixture
def list_file(tmp_path):
    path = tmp_path / "2025年第一批高企名单.xlsx"
    path.write_bytes(xlsx(list_rows()))
    return path


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_certified_list", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_counts_and_unmatched_rows(list_file, enterprises):
    out, _err = command(list_file, "--kind", "hte", "--granted-on", "2025-11-30")
    assert out.splitlines() == [
        "matched 2, unmatched 2, new qualifications 2, new rewards 2",
        f"row 6: 郑州市乙软件有限公司 ({CODE_OTHER_CITY})",
        "row 7: 安阳新星光电有限公司",
    ]
    assert Qualification.objects.count() == 2
    assert OfficialList.objects.get().title == TITLE

    out, err = command(list_file, "--kind", "hte", "--granted-on", "2025-11-30", "--title", "重复")
    assert out.splitlines()[0] == "matched 2, unmatched 2, new qualifications 0, new rewards 0"
    assert "已于" in err
    assert Qualification.objects.count() == 2


def test_command_warns_about_malformed_codes(tmp_path, enterprises):
    path = tmp_path / "list.xlsx"
    path.write_bytes(xlsx([[1, "安阳市甲科技有限公司", CODE_A[:17], None, None]]))
    out, err = command(path, "--kind", "hte", "--granted-on", "2025-11-30")
    assert out.splitlines()[0] == "matched 1, unmatched 0, new qualifications 1, new rewards 1"
    assert f"第4行：统一社会信用代码“{CODE_A[:17]}”为17位，应为18位。" in err


def test_command_dry_run(list_file, enterprises):
    out, err = command(list_file, "--kind", "hte", "--granted-on", "2025-11-30", "--dry-run")
    assert out.splitlines()[0] == "matched 2, unmatched 2, new qualifications 2, new rewards 2"
    assert "试运行" in err
    assert not OfficialList.objects.exists() and not Qualification.objects.exists()


def test_command_title_option_and_chinese_kind(list_file, enterprises):
    command(
        list_file, "--kind", "河南省科技小巨人", "--granted-on", "2025年11月30日", "--title", "小巨人名单"
    )
    official = OfficialList.objects.get()
    assert (official.kind, official.title) == ("little_giant", "小巨人名单")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "hightech", "--granted-on", "2025-11-30"], "未知的资质类型"),
        (["--kind", "hte", "--granted-on", "30/11/2025"], "日期无法识别"),
        (["--kind", "hte", "--granted-on", "2099-01-01"], "晚于今天"),
    ],
)
def test_command_refuses_bad_kind_or_date(list_file, enterprises, args, message):
    with pytest.raises(CommandError, match=message):
        command(list_file, *args)
    assert not OfficialList.objects.exists()


def test_command_refuses_missing_or_bad_file(tmp_path, enterprises):
    with pytest.raises(CommandError, match="文件不存在"):
        command(tmp_path / "nope.xlsx", "--kind", "hte", "--granted-on", "2025-11-30")
    bad = tmp_path / "list.xlsx"
    bad.write_bytes(b"garbage")
    with pytest.raises(CommandError, match="无法读取"):
        command(bad, "--kind", "hte", "--granted-on", "2025-11-30")


def test_command_exit_codes(list_file, enterprises, capsys, monkeypatch):
    # run_from_argv closes the connections afterwards: keep the test's transaction open
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    argv = ["manage.py", "import_certified_list", str(list_file), "--kind", "hte", "--granted-on"]
    Command().run_from_argv([*argv, "2025-11-30"])  # returns normally: exit status 0
    assert capsys.readouterr().out.startswith("matched 2, unmatched 2")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv([*argv, "someday"])
    assert exit_info.value.code == 1
    assert "日期无法识别" in capsys.readouterr().err
