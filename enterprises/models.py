from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anyang_hte.core.models import Jurisdiction

from .querysets import (
    AnnualFiguresQuerySet,
    EnterpriseQuerySet,
    MilestoneQuerySet,
    QualificationQuerySet,
    VisitQuerySet,
)

MONEY = {"max_digits": 18, "decimal_places": 2, "null": True, "blank": True}
STAFF = {"max_digits": 9, "decimal_places": 1, "null": True, "blank": True}


class TechField(models.TextChoices):
    """The 8 fields of 《国家重点支持的高新技术领域》."""

    ELECTRONIC_INFO = "electronic_info", _("电子信息")
    BIO_MEDICINE = "bio_medicine", _("生物与新医药")
    AEROSPACE = "aerospace", _("航空航天")
    NEW_MATERIALS = "new_materials", _("新材料")
    HIGH_TECH_SERVICE = "high_tech_service", _("高技术服务")
    NEW_ENERGY = "new_energy", _("新能源与节能")
    RESOURCES_ENV = "resources_env", _("资源与环境")
    ADVANCED_MANUFACTURING = "advanced_manufacturing", _("先进制造与自动化")


class QualificationKind(models.TextChoices):
    TECH_SME = "tech_sme", _("科技型中小企业")
    LG_RESERVE = "lg_reserve", _("市科技小巨人备案")
    HTE_CANDIDATE = "hte_candidate", _("高新技术企业后备")
    HTE = "hte", _("高新技术企业")
    LG_CULTIVATION = "lg_cultivation", _("河南省科技小巨人培育企业")
    LITTLE_GIANT = "little_giant", _("河南省科技小巨人")
    LEADING = "leading", _("河南省创新龙头企业")


class Stage(models.TextChoices):
    """The pipeline stage, derived from valid qualifications; ordered from first to last."""

    NONE = "none", _("未入库")
    TECH_SME = "tech_sme", _("科技型中小企业")
    LG_RESERVE = "lg_reserve", _("市科技小巨人备案")
    HTE_CANDIDATE = "hte_candidate", _("高企后备")
    HTE = "hte", _("高新技术企业")
    LG_CULTIVATION = "lg_cultivation", _("省小巨人培育")
    LITTLE_GIANT = "little_giant", _("河南省科技小巨人")
    LEADING = "leading", _("河南省创新龙头")


STAGE_ORDER = list(Stage.values)


class RDInstitutionLevel(models.TextChoices):
    """The level at which the firm's R&D institution (研发机构) is recognised, if at all."""

    OWN = "own", _("企业自设（未认定）")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    NATIONAL = "national", _("国家级")


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=200)
    name_initials = models.CharField(_("名称拼音首字母"), max_length=200, blank=True, db_index=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("所属县区"), on_delete=models.PROTECT, related_name="enterprises"
    )
    tech_field = models.CharField(_("技术领域"), max_length=32, choices=TechField.choices, blank=True)
    registered_on = models.DateField(_("成立日期"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=128, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=64, blank=True)
    # 户名: the name the account is held in, as the bank has it (the payout sheet pays to it). Empty: the
    # enterprise's own name.
    bank_account_holder = models.CharField(
        _("账户户名"), max_length=200, blank=True, help_text=_("银行开户名称；不填则为企业名称。")
    )
    # The firm's R&D institution (研发机构), as the innovation evaluation's organisation item reads it.
    rd_institution = models.CharField(_("研发机构名称"), max_length=200, blank=True)
    rd_institution_level = models.CharField(
        _("研发机构级别"), max_length=16, choices=RDInstitutionLevel.choices, blank=True
    )
    planned_year = models.PositiveSmallIntegerField(_("计划申报年度"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    # db_index: on PostgreSQL Django adds the varchar_pattern_ops twin that "starts with" searches use.
    helper_name = models.CharField(_("挂钩帮扶责任人"), max_length=64, blank=True, db_index=True)
    helper_phone = models.CharField(_("责任人电话"), max_length=32, blank=True)
    helper_unit = models.CharField(_("责任人单位"), max_length=128, blank=True)

    # Derived, kept in step by the services (and nightly by a Celery beat task) so lists can filter
    # a million rows on an index instead of recomputing per row.
    stage = models.CharField(_("培育阶段"), max_length=32, choices=Stage.choices, default=Stage.NONE)
    declared_stage = models.CharField(
        _("台账填报阶段"),
        max_length=32,
        choices=Stage.choices,
        blank=True,
        help_text=_("县区台账中填报的阶段；与资质推算的阶段不一致时在列表中提示。"),
    )
    # 国科发政〔2017〕115号: a firm whose main products are in a prohibited, restricted or eliminated
    # category (《产业结构调整指导目录》) is not a tech SME.
    restricted_industry = models.BooleanField(
        _("主要产品属于禁止、限制或淘汰类"),
        default=False,
        help_text=_("《产业结构调整指导目录》中的禁止类、限制类或淘汰类；勾选后不能评价为科技型中小企业。"),
    )
    hte_ready = models.BooleanField(_("符合高企认定条件"), null=True, blank=True)
    tsme_score = models.PositiveSmallIntegerField(_("科技型中小企业评分"), null=True, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "name_initials"])
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        # jurisdiction_id, not "jurisdiction": naming the relation orders by Jurisdiction's own ordering
        # (sort_order, code), a join and a sort of every row. The seeded jurisdictions' ids follow their
        # sort_order (anyang_hte.core.reference.ensure_jurisdictions creates them in that order).
        ordering = ["jurisdiction_id", "name", "id"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [
            # The list's default order (jurisdiction, then name) walks this index, filtered or not.
            models.Index(fields=["jurisdiction", "name", "id"], name="ent_juris_name_id"),
            models.Index(fields=["jurisdiction", "stage"], name="ent_juris_stage"),
            # One per sortable column of the ledger list (EnterpriseTable), ending with the id like the
            # sort does, so a sorted page is an index scan; each serves its column's filters as well.
            models.Index(fields=["stage", "id"], name="ent_stage_id"),
            models.Index(fields=["tech_field", "id"], name="ent_field_id"),
            models.Index(fields=["planned_year", "id"], name="ent_planned_year_id"),
            models.Index(fields=["hte_ready", "id"], name="ent_ready_id"),
            models.Index(fields=["tsme_score", "id"], name="ent_tsme_score_id"),
            models.Index(fields=["name", "id"], name="ent_name_id"),
            models.Index(fields=["helper_name", "id"], name="ent_helper_id"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enterprises:detail", args=[self.pk])


class Qualification(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("手工登记")
        IMPORT = "import", _("台账导入")
        OFFICIAL_LIST = "official_list", _("公示名单")
        LG_RESERVE = "lg_reserve", _("小巨人备案确认")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(_("资质类型"), max_length=32, choices=QualificationKind.choices)
    number = models.CharField(_("证书/登记编号"), max_length=64, blank=True)
    granted_on = models.DateField(_("认定/登记日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=32, choices=Source.choices, default=Source.MANUAL)
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=255, blank=True)
    # A title the firm brought with it when it moved to Anyang: recorded for its validity, but it earns no
    # city reward and is not a new HTE of the city.
    granted_elsewhere = models.BooleanField(
        _("迁入前在外地取得"),
        default=False,
        help_text=_("企业迁入本市前已在外地取得的资质：计入有效资质，不产生本市奖励，不计入本市新认定。"),
    )
    granted_where = models.CharField(_("取得地"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_on", "-id"]
        verbose_name = _("资质")
        verbose_name_plural = _("资质")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "granted_on"], name="qual_unique_grant"),
            models.CheckConstraint(
                name="qual_expiry_after_grant",
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("granted_on")),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "expires_on"], name="qual_kind_expiry"),
            models.Index(fields=["enterprise", "kind"], name="qual_ent_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}".strip()


class LedgerMilestone(models.Model):
    """One step of the linked helper's timetable (挂钩帮扶时间表)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("事项"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("帮扶节点")
        verbose_name_plural = _("帮扶节点")
        indexes = [
            models.Index(
                fields=["enterprise", "due_on"], name="milestone_open_due", condition=Q(done_on__isnull=True)
            ),
            models.Index(
                fields=["due_on"], name="milestone_open_due_only", condition=Q(done_on__isnull=True)
            ),
        ]

    def __str__(self):
        return self.title


class ServiceVisit(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("走访日期"))
    visitors = models.CharField(_("走访人员"), max_length=200)
    problems = models.TextField(_("企业反映问题"), blank=True)
    actions = models.TextField(_("商定措施"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("服务走访")
        verbose_name_plural = _("服务走访")
        indexes = [models.Index(fields=["enterprise", "-visited_on"], name="visit_ent_date")]

    def __str__(self):
        return f"{self.visited_on} {self.visitors}"


class AnnualFigures(models.Model):
    """One row per enterprise per fiscal year. Money in exact yuan."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="figures"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    sales_revenue = models.DecimalField(_("营业收入（元）"), **MONEY)
    # 总收入 = 收入总额 − 不征税收入: the denominator of the high-tech revenue share (工作指引).
    total_income = models.DecimalField(_("总收入（元）"), **MONEY)
    rd_expense = models.DecimalField(_("研发费用（元）"), **MONEY)
    rd_expense_domestic = models.DecimalField(_("其中境内研发费用（元）"), **MONEY)
    total_costs = models.DecimalField(_("成本费用总额（元）"), **MONEY)
    # Yearly averages of the monthly averages (工作指引), so one decimal: 95.5, not 95.
    staff_count = models.DecimalField(_("职工总数（年平均）"), **STAFF)
    st_staff_count = models.DecimalField(_("科技人员数（年平均）"), **STAFF)
    hightech_revenue = models.DecimalField(_("高新技术产品（服务）收入（元）"), **MONEY)
    total_assets = models.DecimalField(_("资产总额（元）"), **MONEY)
    net_assets = models.DecimalField(_("净资产（元）"), **MONEY)
    ip_class1_count = models.PositiveIntegerField(_("I类知识产权数"), null=True, blank=True)
    ip_class2_count = models.PositiveIntegerField(_("II类知识产权数"), null=True, blank=True)
    conversions_count = models.PositiveIntegerField(_("科技成果转化数（项）"), null=True, blank=True)
    industrial_value_added = models.DecimalField(_("工业增加值（元）"), **MONEY)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AnnualFiguresQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-year"]
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="figures_unique_year"),
            models.CheckConstraint(
                name="figures_staff_not_negative",
                condition=(Q(staff_count__isnull=True) | Q(staff_count__gte=0))
                & (Q(st_staff_count__isnull=True) | Q(st_staff_count__gte=0)),
                violation_error_message=_("人数不能为负数。"),
            ),
            models.CheckConstraint(
                name="figures_st_staff_le_staff",
                condition=Q(st_staff_count__isnull=True)
                | Q(staff_count__isnull=True)
                | Q(st_staff_count__lte=models.F("staff_count")),
                violation_error_message=_("科技人员数不能大于职工总数。"),
            ),
            models.CheckConstraint(
                name="figures_domestic_rd_le_rd",
                condition=Q(rd_expense_domestic__isnull=True)
                | Q(rd_expense__isnull=True)
                | Q(rd_expense_domestic__lte=models.F("rd_expense")),
                violation_error_message=_("境内研发费用不能大于研发费用总额。"),
            ),
        ]
        indexes = [models.Index(fields=["year"], name="figures_year")]

    def __str__(self):
        return f"{self.enterprise} {self.year}"


# --- what the readiness verdict needs beyond the yearly figures (工作指引 国科发火〔2016〕195号, 115号) ---


class IPKind(models.TextChoices):
    """The IP that counts in HTE recognition; trademarks never count (工作指引)."""

    INVENTION = "invention", _("发明专利（含国防专利）")
    PLANT_VARIETY = "plant_variety", _("植物新品种")
    CROP_VARIETY = "crop_variety", _("国家级农作物品种")
    NEW_DRUG = "new_drug", _("国家新药")
    TCM_VARIETY = "tcm_variety", _("国家一级中药保护品种")
    IC_LAYOUT = "ic_layout", _("集成电路布图设计专有权")
    UTILITY_MODEL = "utility_model", _("实用新型专利")
    DESIGN = "design", _("外观设计专利")
    SOFTWARE = "software", _("软件著作权")


CLASS_I_KINDS = frozenset(
    {
        IPKind.INVENTION,
        IPKind.PLANT_VARIETY,
        IPKind.CROP_VARIETY,
        IPKind.NEW_DRUG,
        IPKind.TCM_VARIETY,
        IPKind.IC_LAYOUT,
    }
)


class IPAcquisition(models.TextChoices):
    SELF = "self", _("自主研发")
    TRANSFERRED = "transferred", _("受让")
    DONATED = "donated", _("受赠")
    MERGED = "merged", _("并购")


class IntellectualProperty(models.Model):
    """One IP item of the firm. A class II item used in an HTE application cannot be used in a later
    one; a class I item can (工作指引)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="ip_items"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=IPKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    number = models.CharField(_("专利号/登记号"), max_length=64)
    granted_on = models.DateField(_("授权/登记日期"))
    lapsed_on = models.DateField(_("失效日期"), null=True, blank=True)
    acquisition = models.CharField(_("获得方式"), max_length=16, choices=IPAcquisition.choices)
    used_in_year = models.PositiveSmallIntegerField(
        _("已用于哪一年度的高企申报"),
        null=True,
        blank=True,
        help_text=_("II类知识产权用于高企申报后，以后年度的申报不能再次使用；I类可以重复使用。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_on", "id"]
        verbose_name = _("知识产权")
        verbose_name_plural = _("知识产权")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "number"], name="ip_unique_number"),
            models.CheckConstraint(
                name="ip_lapse_after_grant",
                condition=Q(lapsed_on__isnull=True) | Q(lapsed_on__gte=models.F("granted_on")),
                violation_error_message=_("失效日期不能早于授权日期。"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_class_i(self) -> bool:
        return self.kind in CLASS_I_KINDS


class IncidentKind(models.TextChoices):
    SAFETY = "safety", _("重大安全事故")
    QUALITY = "quality", _("重大质量事故")
    ENVIRONMENT = "environment", _("严重环境违法行为")
    RESEARCH_MISCONDUCT = "research_misconduct", _("严重科研失信行为")
    ABNORMAL_OPERATION = "abnormal_operation", _("列入经营异常名录")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("列入严重违法失信名单")


# An HTE application fails on these in the year before it (国科发火〔2016〕32号 第十一条第八项).
HTE_INCIDENT_KINDS = frozenset({IncidentKind.SAFETY, IncidentKind.QUALITY, IncidentKind.ENVIRONMENT})


class Incident(models.Model):
    """An adverse record: an accident, a violation, or a listing. A listing ends when the firm is removed
    from the list (``ended_on``)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=IncidentKind.choices)
    occurred_on = models.DateField(_("发生/列入日期"))
    ended_on = models.DateField(
        _("移出日期"), null=True, blank=True, help_text=_("列入名录、名单的，移出后填写。")
    )
    reference = models.CharField(_("文书编号"), max_length=128, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "id"]
        verbose_name = _("不良记录")
        verbose_name_plural = _("不良记录")
        constraints = [
            models.CheckConstraint(
                name="incident_end_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("occurred_on")),
                violation_error_message=_("移出日期不能早于列入日期。"),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class DistinctionKind(models.TextChoices):
    """The tech-SME direct routes besides a valid HTE certificate (国科发政〔2017〕115号 第六条)."""

    NATIONAL_AWARD = "national_award", _("国家级科技奖励")
    RESEARCH_INSTITUTION = "research_institution", _("省部级以上研发机构")
    STANDARD_LEAD = "standard_lead", _("主导制定国际、国家或行业标准")


class Distinction(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="distinctions"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=DistinctionKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    obtained_on = models.DateField(_("获得/认定/发布日期"))
    rank = models.PositiveSmallIntegerField(
        _("完成单位排名"), null=True, blank=True, help_text=_("国家级科技奖励填写本企业在完成单位中的排名。")
    )
    ended_on = models.DateField(_("撤销/失效日期"), null=True, blank=True)
    reference = models.CharField(_("文件或证书编号"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-obtained_on", "id"]
        verbose_name = _("科技型中小企业直通条件")
        verbose_name_plural = _("科技型中小企业直通条件")
        constraints = [
            models.CheckConstraint(
                name="distinction_end_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("obtained_on")),
                violation_error_message=_("失效日期不能早于获得日期。"),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"


INNOVATION_POLICY = "国科发火〔2016〕195号"


class InnovationAssessment(models.Model):
    """The innovation-capability evaluation (创新能力评价) for one application year, scored by an official.

    Points are whole numbers chosen by the assessor inside the band the rules give (``readiness.innovation``
    checks them when saving and again when judging, as the figures behind a band may change).
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="innovation_assessments"
    )
    application_year = models.PositiveSmallIntegerField(_("申报年度"))
    ip_advancement = models.PositiveSmallIntegerField(_("技术的先进程度"))
    ip_core_support = models.PositiveSmallIntegerField(_("对主要产品（服务）在技术上发挥核心支持作用"))
    ip_quantity = models.PositiveSmallIntegerField(_("知识产权数量"))
    ip_acquisition = models.PositiveSmallIntegerField(_("知识产权获得方式"))
    ip_self_developed = models.BooleanField(
        _("有自主研发的知识产权"),
        null=True,
        blank=True,
        help_text=_("企业未登记知识产权明细时，由评价人说明获得方式。"),
    )
    standard_bonus = models.BooleanField(_("参与编制国家、行业或地方标准（加2分）"), default=False)
    conversion = models.PositiveSmallIntegerField(_("科技成果转化能力"))
    rd_management = models.PositiveSmallIntegerField(_("研究开发管理制度、研发投入核算体系、研发费用辅助账"))
    rd_institution = models.PositiveSmallIntegerField(_("研发机构及其条件、产学研合作"))
    conversion_system = models.PositiveSmallIntegerField(_("成果转化的组织实施与激励奖励制度、创新创业平台"))
    talent = models.PositiveSmallIntegerField(_("科技人员培养进修、职工技能培训、人才引进和绩效评价奖励"))
    net_asset_growth = models.PositiveSmallIntegerField(_("净资产增长率得分"))
    sales_growth = models.PositiveSmallIntegerField(_("销售收入增长率得分"))
    policy = models.CharField(_("评价依据"), max_length=64, default=INNOVATION_POLICY)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("评价时间"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-application_year"]
        verbose_name = _("创新能力评价")
        verbose_name_plural = _("创新能力评价")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "application_year"], name="innovation_once_per_year"
            )
        ]

    def __str__(self):
        return f"{self.enterprise} {self.application_year}"


# --- what a firm enters itself, for its county to confirm (企业填报、县区确认) ---------------------------


class SubmissionKind(models.TextChoices):
    FIGURES = "figures", _("年度数据")
    PROFILE = "profile", _("基本信息、联系方式、开户银行和研发机构")
    IP = "ip", _("知识产权")


class FirmSubmission(models.Model):
    """What a firm user typed for one part of its ledger record, until its county accepts or returns it.

    ``data`` holds exactly what was typed (strings, as the form posted them): a returned submission
    shows the firm its own input again; the values are parsed by the ledger's forms when the county
    looks at the difference and when it accepts. ``basis`` is the ledger as it stood when the firm
    submitted (the diff page marks a field the ledger changed since); ``applied`` what accepting changed.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待县区确认")
        ACCEPTED = "accepted", _("已确认")
        RETURNED = "returned", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="submissions"
    )
    kind = models.CharField(_("填报内容"), max_length=16, choices=SubmissionKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    data = models.JSONField(_("填报内容"), default=dict, blank=True)
    basis = models.JSONField(_("提交时的台账"), default=dict, blank=True)
    applied = models.JSONField(_("确认时写入台账的变化"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认/退回人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认/退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("企业填报")
        verbose_name_plural = _("企业填报")
        constraints = [
            # One open figures submission per year, one open profile submission: the county never has
            # two versions of the same figures to choose between. IP items are one item each.
            models.UniqueConstraint(
                fields=["enterprise", "kind", "year"],
                condition=Q(status="submitted", kind="figures"),
                name="submission_one_open_figures",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "kind"],
                condition=Q(status="submitted", kind="profile"),
                name="submission_one_open_profile",
            ),
            models.CheckConstraint(
                name="submission_year_for_figures",
                condition=Q(kind="figures", year__isnull=False) | (~Q(kind="figures") & Q(year__isnull=True)),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="submission_status_date"),
            models.Index(fields=["enterprise", "status"], name="submission_ent_status"),
        ]

    def __str__(self):
        if self.year:
            return f"{self.enterprise} {self.year}{self.get_kind_display()}"
        return f"{self.enterprise} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("enterprises:submission_detail", args=[self.pk])


def submission_file_path(instance, filename):
    return f"submissions/{instance.enterprise_id}/{filename}"


class SubmissionFile(models.Model):
    """A supporting file a firm uploaded (audit report, tax return summary, R&D auxiliary ledger)."""

    class Kind(models.TextChoices):
        AUDIT_REPORT = "audit_report", _("审计报告")
        TAX_SUMMARY = "tax_summary", _("纳税申报表摘要")
        RD_LEDGER = "rd_ledger", _("研发费用辅助账")
        OTHER = "other", _("其他")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="submission_files"
    )
    submission = models.ForeignKey(
        FirmSubmission,
        verbose_name=_("所附填报"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="files",
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    kind = models.CharField(_("材料类型"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=submission_file_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("企业上传材料")
        verbose_name_plural = _("企业上传材料")
        indexes = [models.Index(fields=["enterprise", "year"], name="subfile_ent_year")]

    def __str__(self):
        return self.original_name


class InnovationDraft(models.Model):
    """The firm's own scoring of its innovation capability for an application year: a draft the county
    can adopt into its assessment (``InnovationAssessment``) or change. ``points`` holds the items of
    that assessment (``readiness.innovation.POINT_FIELDS`` plus the bonus, the self-developed answer and
    a note)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="innovation_drafts"
    )
    application_year = models.PositiveSmallIntegerField(_("申报年度"))
    points = models.JSONField(_("企业自评得分"), default=dict)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("自评人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drafted_at = models.DateTimeField(_("自评时间"))
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("采用人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    adopted_at = models.DateTimeField(_("采用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-application_year"]
        verbose_name = _("企业创新能力自评")
        verbose_name_plural = _("企业创新能力自评")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "application_year"], name="innovation_draft_once_per_year"
            )
        ]

    def __str__(self):
        return f"{self.enterprise} {self.application_year}"
