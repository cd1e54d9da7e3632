"""Walk every URL of the project for every role and prove the jurisdiction scope holds.

A county-bound user asking for another jurisdiction's enterprise gets a 404 (no leak, not even
"forbidden"); a role without the right gets a 403; anonymous users are sent to log in.

The URLs are walked a group at a time (one namespace, or one app's admin pages) over one set of
records; each URL's requests run in a savepoint that is rolled back, so a request that writes cannot
change what the next URL sees, and every URL that fails is reported, not only the first.
"""

import datetime
from collections import defaultdict

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from anyang_hte.core.models import (
    AuditLog,
    CalendarDay,
    EmailOutbox,
    ExportJob,
    ImportJob,
    IssuedDocument,
    Jurisdiction,
    Notification,
    TimeLimit,
    User,
)
from anyang_hte.core.roles import Role, SystemActor
from api.models import ApiClient
from api.services import api_client_create
from applications.models import ApplicationRound, RoundEntry
from assessment.models import Plan
from assessment.registers.models import LittleGiantReserveEntry
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    FirmSubmission,
    IntellectualProperty,
    LedgerMilestone,
    ServiceVisit,
    SubmissionFile,
)
from firms.models import FirmRegistration
from incentives.models import (
    OfficialList,
    OfficialListRow,
    PaymentRun,
    PayoutBatch,
    PublicityObjection,
    Reward,
    RewardRule,
)
from tests.core.test_admin import READ_ONLY_MODELS, ledger_snapshot
from tests.factories import (
    EnterpriseFactory,
    FiguresFactory,
    MilestoneFactory,
    QualificationFactory,
    UserFactory,
    VisitFactory,
    jurisdiction,
    make_credit_code,
)
from tests.incentives.factories import (
    AppropriationFactory,
    PayoutBatchFactory,
    RewardDocumentFactory,
    RewardWithLinesFactory,
    hte_rule,
    publicized,
)

# The doors without a log-in: the firm's self-registration and the invited firm's set-password link
# (tests/firms covers them: the limits, the token's one use), and the load balancer's /healthz
# (tests/core/test_healthz.py: it shows no data and no secret).
# The public 公示 pages (tests/incentives/test_publicity_pages.py: no bank data, the per-IP limit).
PUBLIC = {
    "login",
    "set_language",
    "logout",
    "firms:register",
    "firms:set_password",
    "healthz",
    "gongshi:index",
    "gongshi:detail",
}
# The machine API answers for itself: a token, not a session (tests/api covers its scope and every
# refusal); here only that nobody without a token gets anything but a 401, and that its schema and
# reference page are public (they describe the API, they hold no data).
API_PUBLIC = {"api:schema", "api:reference"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                continue  # Django's admin: staff-only, tested below
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name, p


ALL_URLS = sorted({name for name, _p in _walk(get_resolver().url_patterns)})
API_URLS = sorted(name for name in ALL_URLS if name.startswith("api:"))


@pytest.fixture
def world(db):
    own = EnterpriseFactory(jurisdiction=jurisdiction("410502"))
    other = EnterpriseFactory(jurisdiction=jurisdiction("410581"))
    owner = UserFactory(username="job_owner", role=Role.TECH_REVIEWER, jurisdiction=None)
    job = ExportJob.objects.create(user=owner, kind="enterprises.ledger", fmt="xlsx", title="t")
    import_job = ImportJob.objects.create(
        user=owner,
        kind="enterprises.ledger",
        title="t",
        filename="l.xlsx",
        stash="ledger_imports/0.xlsx",
        sha256="0" * 64,
        params={"jurisdiction": own.jurisdiction_id},
        status=ImportJob.Status.DONE,
        result={"can_apply": True},
    )
    notification = Notification.objects.create(user=owner, title="t")
    official = OfficialList.objects.create(
        kind="hte",
        granted_on=datetime.date(2025, 11, 30),
        filename="l.xlsx",
        checksum="0" * 64,
        uploaded_by=owner,
    )
    row = OfficialListRow.objects.create(
        official_list=official, row_number=4, name="外市公司", status="unmatched"
    )
    # The open application round, with an entry of each enterprise (applications:*).
    current = ApplicationRound.objects.create(
        year=timezone.localdate().year,
        intention_deadline=timezone.localdate() + datetime.timedelta(days=30),
        recommendation_deadline=timezone.localdate() + datetime.timedelta(days=60),
        review_deadline=timezone.localdate() + datetime.timedelta(days=90),
        opened_at=timezone.now(),
    )
    data = {}
    for label, ent in (("own", own), ("other", other)):
        reward = RewardWithLinesFactory(enterprise=ent, status="generated")
        # incentives:publicity_* / objection_*: a 公示 of an approved reward of the county, an objection
        neighbour = EnterpriseFactory(jurisdiction=ent.jurisdiction)
        publicity = publicized([RewardWithLinesFactory(enterprise=neighbour, status="approved")], by=owner)
        county_batch = PayoutBatchFactory(
            source="county", jurisdiction=ent.jurisdiction, created_by=owner, name=f"{label} county batch"
        )
        data[label] = {
            # Per app, the "pk" a URL takes: see _kwargs_for.
            "reward_pk": reward.pk,
            "batch_pk": county_batch.pk,
            # incentives:payment_run: a (finished) payment run of that batch
            "run_id": PaymentRun.objects.create(
                batch=county_batch,
                user=owner,
                paid_on=timezone.localdate(),
                reference="PZ-matrix",
                status="failed",
            ).pk,
            # incentives:appropriation_*: the county's own 专项经费 of this year
            "appropriation_pk": AppropriationFactory(
                source="county", jurisdiction=ent.jurisdiction, year=timezone.localdate().year
            ).pk,
            "official_pk": official.pk,
            "publicity_pk": publicity.pk,
            "objection_pk": PublicityObjection.objects.create(
                entry=publicity.entries.get(),
                received_on=publicity.published_on,
                content="异议",
                recorded_by=owner,
            ).pk,
            "document_pk": RewardDocumentFactory(reward=reward).pk,
            "row_pk": row.pk,
            "action": "lock",
            "kind": "reward_notice",  # incentives:batch_document_issue
            # document_download: a payout sheet issued for the county's batch (the file need not be real)
            "issued_document_pk": _issued_document(county_batch).pk,
            "number": 4,
            "code": ent.jurisdiction.code,
            "indicator": "new_hte",
            "pk": ent.pk,
            "year": FiguresFactory(enterprise=ent, year=2024).year,
            "milestone_pk": MilestoneFactory(enterprise=ent).pk,
            # enterprises:record_*: an IP item of the enterprise (the readiness verdict's records)
            "record": "ip",
            "record_pk": IntellectualProperty.objects.create(
                enterprise=ent,
                kind="invention",
                title="专利",
                number=f"ZL{label}",
                granted_on=datetime.date(2024, 1, 1),
                acquisition="self",
            ).pk,
            "qualification_pk": QualificationFactory(enterprise=ent, granted_on=datetime.date(2024, 1, 5)).pk,
            "fmt": "xlsx",
            "token": "0" * 32,
            "job_id": job.pk,
            "import_job_id": import_job.pk,
            "notification_id": notification.pk,
            # A Little Giant reserve entry of this year, proposed by the enterprise's county.
            "lg_entry_pk": LittleGiantReserveEntry.objects.create(
                enterprise=ent,
                year=timezone.localdate().year,
                status=LittleGiantReserveEntry.Status.PROPOSED,
                was_candidate=True,
                proposed_by=UserFactory(
                    username=f"lg_{label}", role=Role.COUNTY_OFFICIAL, jurisdiction=ent.jurisdiction
                ),
                proposed_at=timezone.now(),
            ).pk,
            "plan_pk": Plan.objects.get(document_number="安政办〔2017〕100号").pk,
            # firms: an invited firm user of the enterprise, and a pending self-registration in its county
            "user_pk": UserFactory(
                username=f"firm_{label}", role=Role.ENTERPRISE, jurisdiction=None, enterprise=ent
            ).pk,
            "registration_pk": FirmRegistration.objects.create(
                user=UserFactory(username=f"reg_{label}", role=Role.ENTERPRISE, jurisdiction=None),
                credit_code=make_credit_code(60000 + ent.pk),
                name=f"{label} 注册企业",
                jurisdiction=ent.jurisdiction,
                contact_name="联系人",
                contact_phone="0372-1",
                email="reg@example.com",
            ).pk,
            "round_year": current.year,
            "entry_pk": RoundEntry.objects.create(
                round=current, enterprise=ent, status="intention", declared_at=timezone.now()
            ).pk,
            # A firm's submission waiting for the county, and a supporting file of the firm.
            "submission_pk": FirmSubmission.objects.create(
                enterprise=ent,
                kind="figures",
                year=2024,
                data={"year": "2024", "sales_revenue": "3000"},
                status="submitted",
                submitted_at=timezone.now(),
            ).pk,
            "submission_file_pk": _submission_file(ent, owner).pk,
        }
    return data


SUBMISSION_URLS = {
    "enterprises:submission_detail",
    "enterprises:submission_accept",
    "enterprises:submission_return",
    "firms:submission_edit",
    "firms:submission_submit",
    "firms:submission_withdraw",
}
SUBMISSION_FILE_URLS = {
    "enterprises:submission_file",
    "firms:submission_file",
    "firms:submission_file_remove",
}


def _submission_file(enterprise, by):
    item = SubmissionFile(
        enterprise=enterprise, kind="audit_report", original_name="审计报告.pdf", size=9, uploaded_by=by
    )
    item.file.save("matrix.pdf", ContentFile(b"%PDF-1.7\n"), save=False)
    item.save()
    return item


def _issued_document(batch):
    document = IssuedDocument(
        kind="payout_sheet",
        prefix="矩阵",
        year=2026,
        serial=batch.pk,
        number=f"矩阵〔2026〕{batch.pk}号",
        title=batch.name,
        issuing_unit="财政局",
        issued_at=timezone.now(),
        source_type=ContentType.objects.get_for_model(PayoutBatch),
        source_id=batch.pk,
        source_key=f"payout_batch:{batch.pk}",
        size=9,
        sha256="0" * 64,
    )
    document.file.save("matrix.pdf", ContentFile(b"%PDF-1.7\n"), save=False)
    document.save()
    return document


def _kwargs_for(name, pattern, values):
    names = list(pattern.pattern.regex.groupindex)
    kwargs = {n: values[n] for n in names if n in values}
    if "credit_code" in names:  # the API's enterprise by its credit code
        kwargs["credit_code"] = Enterprise.objects.get(pk=values["pk"]).credit_code
    if name == "document_download":
        kwargs["pk"] = values["issued_document_pk"]
    if name.startswith("import_job"):
        kwargs["job_id"] = values["import_job_id"]  # an import job (of the owner, so any role's is a 404)
    if "code" in names and name.startswith("assessment:watchlist"):
        kwargs["code"] = "hte_expiring"
    if "pk" in names and name.startswith("firms:reward"):
        kwargs["pk"] = values["reward_pk"]  # the firm's own reward (the "own" enterprise's)
    if "pk" in names and name.startswith("incentives:"):
        key = (
            "batch_pk"
            if ":batch" in name
            else "official_pk"
            if ":official" in name
            else "appropriation_pk"
            if ":appropriation" in name
            else "publicity_pk"
            if ":publicity" in name or ":objection" in name
            else "reward_pk"
        )
        kwargs["pk"] = values[key]
    if "pk" in names and name.startswith("firms:registration_"):
        kwargs["pk"] = values["registration_pk"]  # a registration, in the enterprise's county
    if name.startswith("applications:"):
        if "year" in names:
            kwargs["year"] = values["round_year"]
        if "pk" in names:
            kwargs["pk"] = values["entry_pk"]  # an entry of the own / other county's enterprise
    if "pk" in names and name in SUBMISSION_URLS:
        kwargs["pk"] = values["submission_pk"]  # a firm's submission (the county's or the firm's page)
    if "pk" in names and name in SUBMISSION_FILE_URLS:
        kwargs["pk"] = values["submission_file_pk"]
    if "pk" in names and name.startswith("registers:lg_reserve_") and name != "registers:lg_reserve_propose":
        kwargs["pk"] = values["lg_entry_pk"]  # an entry's pages; proposing takes the enterprise's pk
    return kwargs


FIRM_UNLINKED = "enterprise (no enterprise link)"
# A user's own things, whatever the role: the start page (it sends each role to its own work), the
# user's own messages and the user's own second factor (a firm user may opt in).
OWN_URLS = {"home", "notification_list", "notifications_read_all"} | {
    name for name in ALL_URLS if name.startswith("two_factor:") and name != "two_factor:reset"
}


def _users(world=None):
    firm = {}
    if world is not None:
        own = Enterprise.objects.get(pk=world["own"]["pk"])
        firm = {
            # A firm user of the "own" enterprise, and one whose link is missing (it must see nothing).
            Role.ENTERPRISE: UserFactory(
                username="m_firm", role=Role.ENTERPRISE, jurisdiction=None, enterprise=own
            ),
            FIRM_UNLINKED: UserFactory(username="m_firm0", role=Role.ENTERPRISE, jurisdiction=None),
        }
    return {
        **firm,
        Role.COUNTY_OFFICIAL: UserFactory(username="m_county", role=Role.COUNTY_OFFICIAL),
        Role.COUNTY_FINANCE: UserFactory(username="m_cfin", role=Role.COUNTY_FINANCE),
        Role.TECH_REVIEWER: UserFactory(username="m_rev", role=Role.TECH_REVIEWER, jurisdiction=None),
        Role.CITY_FINANCE: UserFactory(username="m_fin", role=Role.CITY_FINANCE, jurisdiction=None),
        Role.ADMIN: UserFactory(username="m_admin", role=Role.ADMIN, jurisdiction=None),
    }


def _grouped(names, group_of) -> dict[str, list[str]]:
    groups = defaultdict(list)
    for name in names:
        groups[group_of(name)].append(name)
    return dict(groups)


URL_GROUPS = _grouped(
    sorted(set(ALL_URLS) - PUBLIC - set(API_URLS)), lambda name: name.split(":")[0] if ":" in name else "site"
)


def _walk_each(names, check) -> None:
    """``check(name)`` for every name, each in a savepoint rolled back afterwards; all failures at once."""
    failures = []
    for name in names:
        try:
            with transaction.atomic():
                check(name)
                transaction.set_rollback(True)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)


def test_the_api_without_a_token_is_401_and_its_description_public(client, world):
    assert "api:enterprises" in API_URLS and "api:certifications" in API_URLS
    for name in API_URLS:
        pattern = dict(_walk(get_resolver().url_patterns))[name]
        url = reverse(name, kwargs=_kwargs_for(name, pattern, world["own"]))
        if name in API_PUBLIC:
            assert client.get(url).status_code == 200, name
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (401, 405), (name, method, response.status_code)
            if response.status_code == 401:
                assert response.json()["code"] == "token_missing", name


def test_url_walk_finds_the_ledger():
    assert "enterprises:detail" in ALL_URLS and "enterprises:export" in ALL_URLS and len(ALL_URLS) >= 15


@pytest.mark.parametrize("group", sorted(URL_GROUPS))
def test_anonymous_is_sent_to_login(client, world, group):
    _walk_each(URL_GROUPS[group], lambda name: _anonymous_on(client, world, name))


@pytest.mark.parametrize("group", sorted(URL_GROUPS))
def test_every_role_on_every_url(client, world, group):
    users = _users(world)
    _walk_each(URL_GROUPS[group], lambda name: _every_role_on(client, world, users, name))


def _anonymous_on(client, world, name):
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    url = reverse(name, kwargs=_kwargs_for(name, pattern, world["own"]))
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(reverse("login")), (name, method)


def _every_role_on(client, world, users, name):
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    takes_enterprise = "pk" in pattern.pattern.regex.groupindex
    for role, user in users.items():
        client.force_login(user)
        own_status = {}
        for label in ("own", "other") if takes_enterprise else ("own",):
            url = reverse(name, kwargs=_kwargs_for(name, pattern, world[label]))
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status < 500, (role, name, label, method, status)
                firm_door = name.startswith("firms:") and role == Role.ENTERPRISE
                if role in (FIRM_UNLINKED, Role.ENTERPRISE) and not firm_door and name not in OWN_URLS:
                    # A firm user reaches its own door only; without its enterprise link, not even that.
                    assert status in (403, 404, 405), (role, name, label, method, status)
                if label == "own":
                    own_status[method] = status
                elif role in (Role.COUNTY_OFFICIAL, Role.COUNTY_FINANCE, Role.ENTERPRISE):
                    # Where the role holds the right (its own county's record is reachable), the other
                    # county's record simply does not exist for it: a 404, not even a 403.
                    allowed = (403, 404, 405) if own_status[method] in (403, 405) else (404, 405)
                    assert status in allowed, (role, name, label, method, status, own_status[method])
        client.logout()


def test_list_and_export_hold_only_own_jurisdiction(client, world):
    official = UserFactory(username="m_county2", role=Role.COUNTY_OFFICIAL)
    client.force_login(official)
    from enterprises.models import Enterprise

    own, other = (
        Enterprise.objects.get(pk=world["own"]["pk"]),
        Enterprise.objects.get(pk=world["other"]["pk"]),
    )
    page = client.get(reverse("enterprises:list")).content.decode()
    assert own.name in page and other.name not in page
    search = client.get(reverse("enterprises:list"), {"q": other.credit_code}).content.decode()
    assert other.name not in search
    csv_body = b"".join(client.get(reverse("enterprises:export", args=["csv"])).streaming_content).decode(
        "utf-8-sig"
    )
    assert own.credit_code in csv_body and other.credit_code not in csv_body


def test_admin_site_is_for_administrators_only(client, db):
    for role in (Role.COUNTY_OFFICIAL, Role.TECH_REVIEWER, Role.CITY_FINANCE):
        client.force_login(UserFactory(username=f"a_{role}", role=role))
        response = client.get(reverse("admin:enterprises_enterprise_changelist"))
        assert response.status_code == 302 and "login" in response["Location"]


# --- the Django admin --------------------------------------------------------------------------------
# Every admin URL the project registers (from the resolver's "admin" namespace; each model's URLs are
# matched to admin.site._registry for an object pk), for every role: anonymous and non-staff users are
# sent to a log-in, the administrator (staff, as seed_demo makes it) never meets a 500 and every write
# to a read-only registration is refused with a 403 and leaves the ledger, money and audit rows alone.

ADMIN_PUBLIC = {"admin:login", "admin:logout"}  # the admin's own log-in and log-out pages
ADMIN_READS = {"changelist", "change", "history", "simple_history", "export"}


def _walk_admin(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk_admin(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
        elif isinstance(p, URLPattern) and p.name and prefix == "admin:":
            yield prefix + p.name


ADMIN_URLS = sorted(set(_walk_admin(get_resolver().url_patterns)) - ADMIN_PUBLIC)
ADMIN_MODEL_PREFIXES = {f"admin:{m._meta.app_label}_{m._meta.model_name}_": m for m in admin.site._registry}


def _admin_model_and_suffix(name):
    """The registered model an admin URL name belongs to and its view ("change", ...), or (None, name)."""
    for prefix, model in ADMIN_MODEL_PREFIXES.items():
        if name.startswith(prefix):
            return model, name[len(prefix) :]
    return None, name


def _admin_objects(world):
    """One row of every model registered in the admin, so each change/delete/history URL has a pk."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    enterprise = Enterprise.objects.get(pk=world["own"]["pk"])
    client_info = {"user_agent": "matrix", "ip_address": "127.0.0.1", "http_accept": "*/*", "path_info": "/"}
    objects = {
        Group: Group.objects.create(name="matrix"),
        AccessAttempt: AccessAttempt.objects.create(
            username="matrix", get_data="", post_data="", failures_since_start=1, **client_info
        ),
        AccessLog: AccessLog.objects.create(username="matrix", **client_info),
        AccessFailureLog: AccessFailureLog.objects.create(username="matrix", **client_info),
        User: UserFactory(username="m_target", role=Role.TECH_REVIEWER, jurisdiction=None),
        Jurisdiction: enterprise.jurisdiction,
        AuditLog: AuditLog.objects.create(
            content_type=ContentType.objects.get_for_model(Enterprise),
            object_id=str(enterprise.pk),
            action="enterprise.update",
        ),
        Enterprise: enterprise,
        AnnualFigures: AnnualFigures.objects.get(enterprise=enterprise, year=world["own"]["year"]),
        LedgerMilestone: LedgerMilestone.objects.get(pk=world["own"]["milestone_pk"]),
        ServiceVisit: VisitFactory(enterprise=enterprise),
        RewardRule: hte_rule(),
        Reward: Reward.objects.get(pk=world["own"]["reward_pk"]),
        PayoutBatch: PayoutBatch.objects.get(pk=world["own"]["batch_pk"]),
        OfficialList: OfficialList.objects.get(pk=world["own"]["official_pk"]),
        CalendarDay: CalendarDay.objects.order_by("date").first(),
        TimeLimit: TimeLimit.objects.order_by("code").first(),
        EmailOutbox: EmailOutbox.objects.create(recipients=["m@example.cn"], subject="matrix", body="b"),
        ApiClient: api_client_create(
            name="matrix", scopes=["enterprises:read"], city_wide=True, by=SystemActor("matrix")
        )[0],
    }
    assert set(objects) == set(admin.site._registry), "a new admin registration needs a row here"
    return objects


def _admin_urls(name, objects):
    """The URLs to request for the admin URL ``name``: one, or one per app for the app index."""
    if name == "admin:app_list":
        labels = sorted({m._meta.app_label for m in admin.site._registry})
        return [reverse(name, kwargs={"app_label": label}) for label in labels]
    if name == "admin:view_on_site":
        content_type = ContentType.objects.get_for_model(Enterprise)
        return [
            reverse(name, kwargs={"content_type_id": content_type.pk, "object_id": objects[Enterprise].pk})
        ]
    if name == "admin:auth_user_password_change":  # UserAdmin's name, whatever the user model
        return [reverse(name, kwargs={"id": objects[User].pk})]
    model, suffix = _admin_model_and_suffix(name)
    if model is None or suffix in ("changelist", "add", "export"):
        return [reverse(name)]  # index, password change, jsi18n, autocomplete; a model's list pages
    obj = objects[model]
    if suffix == "simple_history":
        return [reverse(name, args=[obj.pk, obj.history.earliest().history_id])]
    return [reverse(name, kwargs={"object_id": obj.pk})]  # change, delete, history: anything new fails here


def test_admin_url_walk_finds_every_registration():
    assert "admin:index" in ADMIN_URLS and "admin:enterprises_enterprise_export" in ADMIN_URLS
    for model in admin.site._registry:
        for suffix in ("changelist", "add", "change", "delete", "history"):
            assert f"admin:{model._meta.app_label}_{model._meta.model_name}_{suffix}" in ADMIN_URLS
    for model in READ_ONLY_MODELS:
        assert model in admin.site._registry


ADMIN_GROUPS = _grouped(
    ADMIN_URLS, lambda name: m._meta.app_label if (m := _admin_model_and_suffix(name)[0]) else "site"
)


@pytest.mark.parametrize("group", sorted(ADMIN_GROUPS))
def test_every_role_on_every_admin_url(client, world, group):
    objects = _admin_objects(world)
    users = _users()
    administrator = users.pop(Role.ADMIN)
    administrator.is_staff = administrator.is_superuser = True  # the portal's 系统管理员, as seed_demo
    administrator.save(update_fields=["is_staff", "is_superuser"])
    _walk_each(
        ADMIN_GROUPS[group], lambda name: _every_role_on_admin(client, objects, users, administrator, name)
    )


def _every_role_on_admin(client, objects, users, administrator, name):
    urls = _admin_urls(name, objects)
    model, suffix = _admin_model_and_suffix(name)
    read_only = model in READ_ONLY_MODELS
    logins = (reverse("admin:login"), reverse("login"))

    # Anonymous: a log-in page. The portal's LoginRequiredMiddleware answers first for most admin URLs
    # (its own log-in, which then sends a non-staff user on to the admin's); the admin's for the rest.
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (name, url, method, response.status_code)
            assert response["Location"].startswith(logins), (name, url, method, response["Location"])

    for role, user in users.items():  # not staff: the admin's log-in, never a page
        client.force_login(user)
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code == 302, (role, name, url, method, response.status_code)
                assert response["Location"].startswith(reverse("admin:login")), (role, name, url, method)
        client.logout()

    client.force_login(administrator)
    before = ledger_snapshot(with_admin_log=False)
    for url in urls:
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status < 500, (name, url, method, status)
            if read_only and (suffix not in ADMIN_READS or (method == "post" and suffix != "export")):
                assert status == 403, (name, url, method, status)  # a write: refused
            elif read_only:
                assert status == 200, (name, url, method, status)  # a page to read (or the export form)
    assert ledger_snapshot(with_admin_log=False) == before, name
    client.logout()
