"""The audit log's action codes in words (操作日志的事项名称).

Every ``audit_log(obj, "app.model.action", ...)`` call in the project writes one of these codes; the
audit page and its export show the label, and a code missing here is shown as it is (so a new action
never hides, it only reads less well until it is added). Collected with
``grep -rhoE '"(enterprises|incentives|assessment|applications|firms|core)\\.[a-z_]+\\.[a-z_]+"'``.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # the ledger (培育台账)
    "enterprises.enterprise.created": _("登记企业"),
    "enterprises.enterprise.updated": _("修改企业信息"),
    "enterprises.ledger.imported": _("导入培育台账"),
    "enterprises.figures.created": _("录入年度数据"),
    "enterprises.figures.updated": _("修改年度数据"),
    "enterprises.qualification.recorded": _("登记资质"),
    "enterprises.qualification.revoked": _("撤销资质"),
    "enterprises.milestone.created": _("新增培育节点"),
    "enterprises.milestone.updated": _("修改培育节点"),
    "enterprises.visit.created": _("登记走访服务"),
    "enterprises.ip.created": _("登记知识产权"),
    "enterprises.ip.updated": _("修改知识产权"),
    "enterprises.ip.deleted": _("删除知识产权"),
    "enterprises.distinction.created": _("登记荣誉资质"),
    "enterprises.distinction.updated": _("修改荣誉资质"),
    "enterprises.distinction.deleted": _("删除荣誉资质"),
    "enterprises.incident.created": _("登记不良记录"),
    "enterprises.incident.updated": _("修改不良记录"),
    "enterprises.incident.deleted": _("删除不良记录"),
    "enterprises.innovation.scored": _("创新能力评价打分"),
    "enterprises.innovation.rescored": _("重新评价创新能力"),
    "enterprises.innovation_draft.saved": _("保存创新能力评价草稿"),
    "enterprises.innovation_draft.adopted": _("采用企业自评"),
    "enterprises.submission.created": _("企业新建填报"),
    "enterprises.submission.updated": _("企业修改填报"),
    "enterprises.submission.submitted": _("企业提交填报"),
    "enterprises.submission.delivered": _("外部系统代企业报送年度数据"),
    "enterprises.submission.resubmitted": _("企业重新提交填报"),
    "enterprises.submission.withdrawn": _("企业撤回填报"),
    "enterprises.submission.accepted": _("县区确认企业填报"),
    "enterprises.submission.returned": _("县区退回企业填报"),
    "enterprises.submission_file.added": _("企业上传佐证材料"),
    "enterprises.submission_file.removed": _("企业删除佐证材料"),
    # rewards and payouts (奖励兑现、资金拨付)
    "incentives.reward.generated": _("生成奖励"),
    "incentives.reward.submitted": _("申报奖励"),
    "incentives.reward.approved": _("审核通过奖励"),
    "incentives.reward.returned": _("退回奖励"),
    "incentives.reward.rejected": _("不予奖励"),
    "incentives.reward.cancelled": _("作废奖励"),
    "incentives.reward.paid": _("奖励已拨付"),
    "incentives.reward.qualification_revoked": _("资质撤销影响奖励"),
    "incentives.reward.document_added": _("上传奖励材料"),
    "incentives.publicity.published": _("发布拟奖励名单公示"),
    "incentives.publicity.objection_recorded": _("登记公示异议"),
    "incentives.publicity.objection_upheld": _("公示异议成立，不予奖励"),
    "incentives.publicity.objection_dismissed": _("公示异议不成立"),
    "incentives.reward.document_removed": _("删除奖励材料"),
    "incentives.batch.created": _("编制拨付批次"),
    "incentives.batch.lines_added": _("批次加入拨付明细"),
    "incentives.batch.line_removed": _("批次移出拨付明细"),
    "incentives.batch.line_cancelled": _("作废批次中的拨付明细"),
    "incentives.batch.locked": _("锁定拨付批次"),
    "incentives.batch.paid": _("批次拨付完成"),
    "incentives.payment.recorded": _("登记拨付"),
    "incentives.recovery.opened": _("发起追回"),
    "incentives.recovery.recorded": _("登记追回"),
    "incentives.rule.opened": _("新增奖励规则"),
    "incentives.rule.updated": _("修改奖励规则"),
    "incentives.rule.closed": _("停用奖励规则"),
    "incentives.appropriation.recorded": _("录入专项经费"),
    "incentives.appropriation.adjusted": _("调整专项经费"),
    "incentives.appropriation.overridden": _("经费余额不足仍予办理"),
    "incentives.official_list.imported": _("导入认定公示名单"),
    "incentives.official_list_row.linked": _("名单行关联企业"),
    "incentives.official_list_row.created": _("名单行新建企业"),
    "incentives.official_list_row.ignored": _("忽略名单行"),
    # the application round (高企申报)
    "applications.round.opened": _("开设申报批次"),
    "applications.round.updated": _("修改申报批次"),
    "applications.round.closed": _("关闭申报批次"),
    # assessment and registers (考核监测、计划任务与登记)
    "assessment.rollup.started": _("开始汇总指标"),
    "assessment.target.set": _("设定目标"),
    "assessment.target.spread": _("分解目标"),
    "assessment.published_value_added.set": _("录入统计局公布数据"),
    "assessment.published_value_added.imported": _("导入统计局公布数据"),
    "assessment.published_value_added.migrated": _("迁移统计局公布数据"),
    "assessment.plan.created": _("新增行动计划"),
    "assessment.plan.updated": _("修改行动计划"),
    "assessment.counting_rule.set": _("设定统计口径"),
    "assessment.carrier.created": _("登记孵化载体"),
    "assessment.carrier.updated": _("修改孵化载体"),
    "assessment.carrier.revoked": _("撤销孵化载体"),
    "assessment.training.created": _("登记培训活动"),
    "assessment.training.updated": _("修改培训活动"),
    "assessment.counselor.created": _("登记辅导员"),
    "assessment.counselor.updated": _("修改辅导员"),
    "assessment.task_report.created": _("登记任务进展"),
    "assessment.task_report.updated": _("修改任务进展"),
    "assessment.lg_reserve.proposed": _("推荐小巨人储备"),
    "assessment.lg_reserve.withdrawn": _("撤回小巨人储备推荐"),
    "assessment.lg_reserve.confirmed": _("确认小巨人储备备案"),
    "assessment.lg_reserve.declined": _("不予确认小巨人储备"),
    "assessment.lg_reserve.removed": _("移出小巨人储备"),
    # firm accounts (企业用户)
    "firms.invitation.created": _("邀请企业用户"),
    "firms.invitation.reissued": _("重发企业邀请"),
    "firms.invitation.accepted": _("企业用户接受邀请"),
    "firms.account.deactivated": _("停用企业用户"),
    "firms.account.reactivated": _("恢复企业用户"),
    "firms.registration.created": _("企业自助注册"),
    "firms.registration.confirmed": _("确认企业注册"),
    "firms.registration.rejected": _("驳回企业注册"),
    # the portal itself
    "core.import_stash.purged": _("清理过期导入文件"),
    "incentives.batch.payment_queued": _("批次转入后台登记拨付"),
    "core.document.issued": _("印发文件（PDF，带文号）"),
    "api.client.created": _("新建数据接口客户端"),
    "api.client.revoked": _("吊销数据接口客户端"),
    "core.two_factor.enrolled": _("绑定两步验证"),
    "core.two_factor.backup_code_used": _("使用备用码登录"),
    "core.two_factor.backup_codes_regenerated": _("重新生成备用码"),
    "core.two_factor.disabled": _("关闭两步验证"),
    "core.two_factor.reset": _("重置两步验证"),
}


def action_label(code: str) -> str:
    """The action in words; an unknown code as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    return [(code, f"{label}") for code, label in ACTION_LABELS.items()]
