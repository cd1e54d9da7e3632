"""Seed the 13 tasks of 安政办〔2017〕100号 and their responsible units (责任单位), from domain.md.

The data is frozen here, as a migration's data should be: later wording changes are made in the admin
or by a new migration, never by editing this one.
"""

from django.db import migrations

SOURCE = "培育源头"
RESOURCES = "资源配置"
CARRIERS = "载体建设"

KJ, CZ, GS, DS = "市科技局", "市财政局", "市国税局", "市地税局"
FGW, GXW, RS = "市发展改革委", "市工业和信息化委", "市人力资源社会保障局"
COUNTIES, COMMITTEES = "各县（市、区）人民政府", "各管委会"

TASKS = [
    (
        1,
        SOURCE,
        "实施“小升高”培育行动：遴选尚未认定的科技型中小企业，在研发人员、知识产权、研发组织管理和"
        "研发费用归集等方面进行辅导；新认定高新技术企业奖励提高至30万元（市财政15万元、所在县（市、区）"
        "财政15万元）。",
        [KJ, CZ, GS, DS],
    ),
    (
        2,
        SOURCE,
        "壮大科技型中小企业群体：从国家、省科技型中小企业信息库中遴选建立市级“科技小巨人备案”后备库，"
        "条件为属重点领域、上年度研发投入占营业收入3%以上、拥有自主知识产权。",
        [KJ, CZ, GS, DS],
    ),
    (
        3,
        SOURCE,
        "对已认定的高新技术企业实施梯次培育：培育成为河南省科技小巨人企业的，市财政一次性奖励30万元；"
        "成为河南省创新龙头企业的，市财政一次性奖励50万元。",
        [KJ, FGW, GXW, CZ],
    ),
    (
        4,
        SOURCE,
        "开展高新技术企业政策培训，实现县（市、区）和园区全覆盖；组建政策辅导员队伍服务企业；"
        "各县（市、区）建立培育发展台账，每家企业明确挂钩帮扶人员、时间表和责任人。",
        [KJ, COUNTIES, COMMITTEES],
    ),
    (
        5,
        SOURCE,
        "引进市外高新技术企业、研发机构、人才团队和科技成果。",
        [KJ, RS],
    ),
    (
        6,
        SOURCE,
        "加强部门协作配合，简化高新技术企业申报审核程序。",
        [KJ, CZ, GS, DS],
    ),
    (
        7,
        RESOURCES,
        "落实高新技术企业税收优惠政策（减按15%税率征收企业所得税），简化备案手续，做好优惠政策落实情况统计。",
        [GS, DS],
    ),
    (
        8,
        RESOURCES,
        "科技计划和创新平台向高新技术企业倾斜，将高新技术企业资格作为承担重大项目、建设创新平台的前置条件。",
        [KJ, CZ],
    ),
    (
        9,
        RESOURCES,
        "设立创新基金，开展“科技贷”“科技保”融资业务，优先将高新技术企业列入上市后备企业名单。",
        [KJ, GXW, "市政府金融办"],
    ),
    (
        10,
        RESOURCES,
        "为高新技术企业开辟知识产权“绿色通道”：快速备案、维权援助、费用减免，并明确专人联系。",
        ["市知识产权局"],
    ),
    (
        11,
        CARRIERS,
        "发挥高新区主阵地作用，将高新技术企业数量和增长情况纳入园区考核。",
        [KJ, FGW],
    ),
    (
        12,
        CARRIERS,
        "建设科技企业孵化器、大学科技园、众创空间等孵化载体20家以上。",
        [KJ, RS],
    ),
    (
        13,
        CARRIERS,
        "培育发展科技服务机构，为申报企业开展培训和辅导（研发费用辅助账、知识产权等）。",
        [KJ, "市工商局"],
    ),
]


def seed(apps, schema_editor):
    PlanTask = apps.get_model("assessment", "PlanTask")
    PlanTaskUnit = apps.get_model("assessment", "PlanTaskUnit")
    for number, group, summary, units in TASKS:
        task, _created = PlanTask.objects.update_or_create(
            number=number, defaults={"group": group, "summary": summary}
        )
        for unit in units:
            PlanTaskUnit.objects.get_or_create(task=task, unit=unit)


def unseed(apps, schema_editor):
    PlanTask = apps.get_model("assessment", "PlanTask")
    # Tasks that already carry progress reports stay: the reports are the record.
    PlanTask.objects.filter(number__in=[t[0] for t in TASKS]).exclude(units__reports__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
