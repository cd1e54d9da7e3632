"""The ledger spreadsheet format: its columns (every field of the enterprise's ledger record and every
yearly figure), the names a file may give them, and the blank template (.xlsx) built from them.

Reading a file is :mod:`enterprises.import_parsing`; the ledger export (:mod:`enterprises.exporters`)
writes exactly these columns, so an export is a filled-in template.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from anyang_hte.core.models import Jurisdiction

from .models import RDInstitutionLevel, Stage, TechField

TEMPLATE_TITLE = "安阳市高新技术企业培育台账"
TEMPLATE_SHEET = "培育台账"
HELP_SHEET = "填写说明"


@dataclass(frozen=True)
class Column:
    key: str  # model field name; "seq" is read and ignored
    header: str  # the template's header text
    kind: str
    aliases: tuple[str, ...] = ()

    @property
    def help(self) -> str:
        return str(HELP[self.key])


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "ignore"),
    Column("name", "企业名称", "text"),
    Column("credit_code", "统一社会信用代码", "credit_code", ("社会信用代码", "信用代码")),
    Column("jurisdiction", "所属县区", "jurisdiction", ("县区", "所属县(市、区)", "所属县(市、区、管委会)")),
    Column("tech_field", "技术领域", "tech_field"),
    Column("registered_on", "成立日期", "date", ("注册日期", "成立时间")),
    Column("address", "地址", "text", ("企业地址", "注册地址", "通讯地址", "详细地址")),
    Column("legal_representative", "法定代表人", "text", ("法人代表", "法人")),
    Column("contact_name", "联系人", "text", ("企业联系人",)),
    Column("contact_phone", "联系电话", "text", ("联系人电话", "企业联系电话")),
    Column("bank_name", "开户银行", "text", ("开户行",)),
    Column("bank_account", "银行账号", "text", ("银行帐号", "开户账号", "账号")),
    Column("bank_account_holder", "户名", "text", ("账户户名", "开户名称", "账户名称")),
    Column("rd_institution", "研发机构名称", "text", ("研发机构",)),
    Column("rd_institution_level", "研发机构级别", "rd_level"),
    Column(
        "restricted_industry",
        "主要产品属于禁止、限制或淘汰类",
        "bool",
        ("属于禁止、限制或淘汰类", "禁止、限制或淘汰类"),
    ),
    Column("declared_stage", "培育阶段", "stage"),
    Column("helper_name", "挂钩帮扶责任人", "text", ("帮扶责任人",)),
    Column("helper_phone", "责任人电话", "text", ("帮扶责任人电话",)),
    Column("helper_unit", "责任人单位", "text", ("帮扶责任人单位", "帮扶单位")),
    Column("planned_year", "计划申报年度", "planned_year", ("计划申报年份", "拟申报年度")),
    Column("year", "年度", "year", ("数据年度", "统计年度")),
    Column("sales_revenue", "营业收入(万元)", "money", ("销售收入(万元)",)),
    Column("total_income", "总收入(万元)", "money"),
    Column("rd_expense", "研发费用(万元)", "money", ("研发费用总额(万元)",)),
    Column(
        "rd_expense_domestic",
        "境内研发费用(万元)",
        "money",
        ("其中境内研发费用(万元)", "其中:境内研发费用(万元)"),
    ),
    Column("total_costs", "成本费用总额(万元)", "money"),
    Column("staff_count", "职工总数", "staff", ("职工总数(年平均)",)),
    Column("st_staff_count", "科技人员数", "staff", ("科技人员数(年平均)",)),
    Column("hightech_revenue", "高新技术产品(服务)收入(万元)", "money", ("高新技术产品收入(万元)",)),
    Column("total_assets", "资产总额(万元)", "money"),
    Column("net_assets", "净资产(万元)", "money"),
    Column("industrial_value_added", "工业增加值(万元)", "money"),
    Column("ip_class1_count", "I类知识产权数", "count", ("I类知识产权",)),
    Column("ip_class2_count", "II类知识产权数", "count", ("II类知识产权",)),
    Column("conversions_count", "科技成果转化数", "count", ("科技成果转化数(项)", "成果转化数")),
    Column("notes", "备注", "text"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
FIGURE_KEYS = tuple(c.key for c in COLUMNS if c.kind in ("money", "count", "staff"))
# The enterprise's own record: the same on every row (every year) of the enterprise.
ENTERPRISE_KEYS = tuple(
    c.key for c in COLUMNS if c.key not in ("seq", "credit_code", "jurisdiction", "year", *FIGURE_KEYS)
)

_MONEY_HELP = gettext_lazy("单位万元，最多6位小数（精确到0.01元）。")
HELP = {
    "seq": gettext_lazy("可不填，导入时忽略。"),
    "name": gettext_lazy("新企业必填，与营业执照一致。"),
    "credit_code": gettext_lazy("必填，18位；按此代码识别企业：已登记的更新，未登记的新建。"),
    "jurisdiction": gettext_lazy("可填名称、简称或代码；只能是本次导入的县区，空白即本县区。"),
    "tech_field": gettext_lazy("《国家重点支持的高新技术领域》8个领域之一。"),
    "registered_on": gettext_lazy("如 2018-03-05、2018/3/5、2018年3月5日。"),
    "address": gettext_lazy("企业地址。"),
    "legal_representative": gettext_lazy("法定代表人姓名。"),
    "contact_name": gettext_lazy("企业联系人姓名。"),
    "contact_phone": gettext_lazy("企业联系人电话。"),
    "bank_name": gettext_lazy("拨付奖补资金的开户银行。"),
    "bank_account": gettext_lazy("银行账号；请设为文本格式，以免 Excel 把长数字改成科学计数法。"),
    "bank_account_holder": gettext_lazy("银行开户名称；空白即企业名称。"),
    "rd_institution": gettext_lazy("企业研发机构（研发中心、工程技术研究中心等）的名称。"),
    "rd_institution_level": gettext_lazy("研发机构的认定级别。"),
    "restricted_industry": gettext_lazy(
        "主要产品属于《产业结构调整指导目录》禁止、限制或淘汰类的填“是”，否则填“否”。"
    ),
    "declared_stage": gettext_lazy("县区台账填报的阶段，可空白。"),
    "helper_name": gettext_lazy("挂钩帮扶的责任人姓名。"),
    "helper_phone": gettext_lazy("责任人联系电话。"),
    "helper_unit": gettext_lazy("责任人所在单位。"),
    "planned_year": gettext_lazy("计划申报高新技术企业的年度，如 2026。"),
    "year": gettext_lazy(
        "本行经营数据所属的年度；同一企业多个年度请分行填写，或每个年度一张工作表（表名如“2024年”）。"
    ),
    "sales_revenue": _MONEY_HELP,
    "total_income": gettext_lazy("收入总额减去不征税收入，单位万元，最多6位小数。"),
    "rd_expense": _MONEY_HELP,
    "rd_expense_domestic": gettext_lazy("研发费用中在境内发生的部分，单位万元，不大于研发费用。"),
    "total_costs": _MONEY_HELP,
    "staff_count": gettext_lazy("全年月平均人数的平均数，可保留一位小数。"),
    "st_staff_count": gettext_lazy("全年月平均人数的平均数，可保留一位小数，不大于职工总数。"),
    "hightech_revenue": _MONEY_HELP,
    "total_assets": gettext_lazy("年末资产总额，单位万元。"),
    "net_assets": gettext_lazy("年末净资产（资产总额减负债总额），单位万元。"),
    "industrial_value_added": gettext_lazy("工业企业填写，单位万元。"),
    "ip_class1_count": gettext_lazy("发明专利等，非负整数。"),
    "ip_class2_count": gettext_lazy("实用新型、外观设计、软件著作权等，非负整数。"),
    "conversions_count": gettext_lazy("本年度科技成果转化的项数，非负整数。"),
    "notes": gettext_lazy("其他说明。"),
}

BOOLEAN_TEXTS = {
    **dict.fromkeys(("是", "y", "yes", "true", "1", "√", "✓", "属于"), True),
    **dict.fromkeys(("否", "n", "no", "false", "0", "×", "✗", "不属于"), False),
}
RD_LEVEL_SYNONYMS = {
    "国家": RDInstitutionLevel.NATIONAL,
    "省": RDInstitutionLevel.PROVINCE,
    "市": RDInstitutionLevel.CITY,
    "企业自设": RDInstitutionLevel.OWN,
    "自设": RDInstitutionLevel.OWN,
    "未认定": RDInstitutionLevel.OWN,
}

STAGE_SYNONYMS = {
    "高企后备": Stage.HTE_CANDIDATE,
    "高新技术企业后备": Stage.HTE_CANDIDATE,
    "培育库": Stage.HTE_CANDIDATE,
    "高企": Stage.HTE,
    "高新技术企业": Stage.HTE,
    "科技型中小企业": Stage.TECH_SME,
    "科小": Stage.TECH_SME,
    "小巨人培育": Stage.LG_CULTIVATION,
    "科技小巨人": Stage.LITTLE_GIANT,
    "创新龙头": Stage.LEADING,
    "小巨人备案": Stage.LG_RESERVE,
}


# --- the blank template ------------------------------------------------------------------------

_WIDTHS = {
    "seq": 6,
    "name": 32,
    "credit_code": 22,
    "jurisdiction": 14,
    "address": 30,
    "bank_name": 22,
    "bank_account": 24,
    "bank_account_holder": 28,
    "rd_institution": 26,
    "restricted_industry": 16,
    "hightech_revenue": 18,
    "notes": 30,
}


def template_width(key: str) -> float:
    """The column's width in the template and in the ledger export."""
    header = COLUMN_BY_KEY[key].header
    return _WIDTHS.get(key, max(10, min(18, len(header) * 2)))


def template_choices(jurisdictions) -> dict[str, list[str]]:
    """The values a drop-down offers, per column (the portal's language, as the cells are read)."""
    return {
        "jurisdiction": [j.name for j in jurisdictions],
        "tech_field": [str(label) for label in TechField.labels],
        "rd_institution_level": [str(label) for label in RDInstitutionLevel.labels],
        "restricted_industry": [_("是"), _("否")],
        "declared_stage": [str(label) for label in Stage.labels],
    }


def build_template_workbook() -> bytes:
    """The empty ledger template (.xlsx): title row, styled header, and a 填写说明 sheet.

    The template is a data format: always in the portal's own language (Chinese), whatever the user's.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _build_template_workbook()


def _build_template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    last = get_column_letter(len(COLUMNS))
    ws["A1"] = TEMPLATE_TITLE
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    thin = Side(style="thin", color="999999")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        ws.column_dimensions[get_column_letter(index)].width = template_width(column.key)
    ws.row_dimensions[2].height = 48
    ws.freeze_panes = "A3"

    jurisdictions = list(Jurisdiction.objects.order_by("sort_order", "code"))
    for key, values in template_choices(jurisdictions).items():
        letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
        validation = DataValidation(
            type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False
        )
        validation.add(f"{letter}3:{letter}5000")
        ws.add_data_validation(validation)

    _help_sheet(wb.create_sheet(HELP_SHEET), jurisdictions)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _help_sheet(ws, jurisdictions) -> None:
    ws["A1"] = _("填写说明")
    ws["A1"].font = Font(size=14, bold=True)
    notes = [
        _("1. 请勿修改“%(s)s”表的表头；表头上方的标题行、空行和合计行导入时会被跳过。")
        % {"s": TEMPLATE_SHEET},
        _("2. 一行是一家企业一个年度的数据；同一企业多个年度请分行填写，企业信息各行应一致。"),
        _("3. 也可以每个年度一张工作表，表名写年份（如“2024年”）：各表按表名的年度导入，“年度”列可不填。"),
        _("4. 按统一社会信用代码识别企业：没有的新建，已有的更新；空白单元格不会清除系统中已有的数据。"),
        _("5. 金额单位为万元（最多6位小数），日期如 2018-03-05 或 2018年3月5日。"),
        _("6. 导入前会先预览；有任何错误时整个文件都不会写入。"),
        _("7. 台账导出的文件与本模板的列完全相同，修改后可直接导入。"),
    ]
    for offset, note in enumerate(notes, start=2):
        ws.cell(row=offset, column=1, value=note)
    top = len(notes) + 3
    for index, title in enumerate((_("列名"), _("说明"), _("可填的值")), start=1):
        cell = ws.cell(row=top, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    allowed = {
        "jurisdiction": [
            f"{j.code} {j.name}" + (f"（{j.short_name}）" if j.short_name != j.name else "")
            for j in jurisdictions
        ],
        "tech_field": [str(label) for label in TechField.labels],
        "rd_institution_level": [str(label) for label in RDInstitutionLevel.labels],
        "restricted_industry": [_("是"), _("否")],
        "declared_stage": [str(label) for label in Stage.labels]
        + [_("同义词：") + "、".join(STAGE_SYNONYMS)],
    }
    for offset, column in enumerate(COLUMNS, start=top + 1):
        ws.cell(row=offset, column=1, value=column.header)
        ws.cell(row=offset, column=2, value=str(column.help))
        if column.key in allowed:
            cell = ws.cell(row=offset, column=3, value="\n".join(allowed[column.key]))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 40
