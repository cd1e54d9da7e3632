"""The API's endpoints: thin views over the same scope code and the same services as the pages."""

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from anyang_hte.core.errors import DomainError
from anyang_hte.core.models import Jurisdiction
from anyang_hte.core.money import yuan_to_wan
from anyang_hte.core.roles import is_client
from anyang_hte.core.scope import scope_enterprises, scope_queryset
from applications.models import RoundEntry
from assessment.models import IndicatorSnapshot
from enterprises.identifiers import normalise_credit_code
from enterprises.models import AnnualFigures, Enterprise, Qualification
from enterprises.services import qualification_record
from enterprises.services.submissions import submission_deliver
from enterprises.submission_diff import MONEY_FIELDS
from incentives.models import FundingLine, Reward
from incentives.services import official_list_import_rows

from . import filters, serializers
from .errors import Conflict, OutOfJurisdiction, UnknownCreditCode
from .rest import ApiView, Cursor


def enterprise_for(actor, credit_code: str) -> Enterprise:
    """The enterprise of ``credit_code`` if ``actor`` may see it; a distinct refusal when no enterprise
    has the code (404) and when it belongs to another county (403)."""
    code = normalise_credit_code(credit_code or "")
    enterprise = Enterprise.objects.filter(credit_code=code).select_related("jurisdiction").first()
    if enterprise is None:
        message = _("台账中没有统一社会信用代码为“%(code)s”的企业。")
        raise UnknownCreditCode(message % {"code": code or credit_code})
    if not scope_enterprises(Enterprise.objects.filter(pk=enterprise.pk), actor).exists():
        raise OutOfJurisdiction()
    return enterprise


class ApiList(ApiView, generics.ListAPIView):
    pagination_class = Cursor
    filter_backends = [DjangoFilterBackend]


class EnterpriseList(ApiList):
    """Enterprises in the client's scope, with their current stage and readiness verdict."""

    required_scope = "enterprises:read"
    serializer_class = serializers.EnterpriseSerializer
    filterset_class = filters.EnterpriseFilter

    def get_queryset(self):
        return scope_enterprises(Enterprise.objects.select_related("jurisdiction"), self.request.user)


class EnterpriseDetail(ApiView, generics.RetrieveAPIView):
    required_scope = "enterprises:read"
    serializer_class = serializers.EnterpriseSerializer
    queryset = Enterprise.objects.none()

    def get_object(self):
        return enterprise_for(self.request.user, self.kwargs["credit_code"])


class FiguresList(ApiList):
    """Yearly figures (exact yuan) of the enterprises in scope."""

    required_scope = "figures:read"
    serializer_class = serializers.FiguresSerializer
    filterset_class = filters.FiguresFilter

    def get_queryset(self):
        qs = AnnualFigures.objects.select_related("enterprise")
        return scope_enterprises(qs, self.request.user, enterprise_field="enterprise")


class QualificationList(ApiList):
    required_scope = "qualifications:read"
    serializer_class = serializers.QualificationSerializer
    filterset_class = filters.QualificationFilter

    def get_queryset(self):
        qs = Qualification.objects.select_related("enterprise")
        return scope_enterprises(qs, self.request.user, enterprise_field="enterprise")


class RewardList(ApiList):
    """Rewards and their funding lines (city and county shares)."""

    required_scope = "rewards:read"
    serializer_class = serializers.RewardSerializer
    filterset_class = filters.RewardFilter

    def get_queryset(self):
        lines = FundingLine.objects.select_related("jurisdiction", "payment").order_by("source", "id")
        qs = Reward.objects.select_related("enterprise", "jurisdiction", "rule").prefetch_related(
            Prefetch("lines", queryset=lines)
        )
        return scope_queryset(qs, self.request.user, jurisdiction_field="jurisdiction")


class IndicatorList(ApiList):
    """Rolled-up indicators: a county client reads its own county's, a city client every scope's."""

    required_scope = "indicators:read"
    serializer_class = serializers.IndicatorSerializer
    filterset_class = filters.IndicatorFilter

    def get_queryset(self):
        actor = self.request.user
        qs = IndicatorSnapshot.objects.all()
        if not is_client(actor):  # the schema generator's look at the view: no actor, no rows
            return qs.none()
        if actor.city_wide:
            return qs
        code = Jurisdiction.objects.filter(pk=actor.jurisdiction_id).values_list("code", flat=True).first()
        return qs.filter(scope=code) if code else qs.none()


class RoundEntryList(ApiList):
    """The application round's entries (申报 → 初审 → 认定), by year."""

    required_scope = "rounds:read"
    serializer_class = serializers.RoundEntrySerializer
    filterset_class = filters.RoundEntryFilter

    def get_queryset(self):
        qs = RoundEntry.objects.select_related("round", "enterprise", "enterprise__jurisdiction")
        return scope_enterprises(qs, self.request.user, enterprise_field="enterprise")


# --- writes -------------------------------------------------------------------------------------


class Certifications(ApiView):
    """Record certifications (the province's results): all items or none. Idempotent: an item already
    recorded with the same certificate number is reported ``unchanged`` and nothing is written."""

    required_scope = "certifications:write"

    @extend_schema(
        request=serializers.CertificationRequest,
        responses={201: serializers.CertificationResponse, 200: serializers.CertificationResponse},
    )
    def post(self, request):
        payload = serializers.CertificationRequest(data=request.data)
        payload.is_valid(raise_exception=True)
        items = payload.validated_data["items"]
        results = []
        with transaction.atomic():
            for index, item in enumerate(items):
                try:
                    results.append(self._record(request.user, item))
                except DomainError as exc:
                    field = f"items.{index}.{exc.field or 'non_field_errors'}"
                    raise DomainError(exc.message, errors={field: [exc.message]}) from None
        created = sum(1 for r in results if r["status"] == "created")
        body = {"created": created, "unchanged": len(results) - created, "results": results}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @staticmethod
    def _record(actor, item) -> dict:
        enterprise = enterprise_for(actor, item["credit_code"])
        number = item["number"].strip()
        existing = Qualification.objects.filter(
            enterprise=enterprise, kind=item["kind"], granted_on=item["granted_on"]
        ).first()
        result = {
            "credit_code": enterprise.credit_code,
            "kind": item["kind"],
            "granted_on": item["granted_on"],
            "number": number,
        }
        if existing is not None:
            if existing.number.strip() != number:
                message = _(
                    "%(name)s 在 %(date)s 已登记同类资质，证书编号“%(old)s”与本次的“%(new)s”不同；未作改动。"
                )
                raise Conflict(
                    message
                    % {
                        "name": enterprise.name,
                        "date": item["granted_on"].isoformat(),
                        "old": existing.number,
                        "new": number,
                    }
                )
            return {**result, "status": "unchanged", "qualification": existing.pk}
        qualification = qualification_record(
            enterprise=enterprise,
            kind=item["kind"],
            granted_on=item["granted_on"],
            number=number,
            source=Qualification.Source.OFFICIAL_LIST,
            by=actor,
        )
        return {**result, "status": "created", "qualification": qualification.pk}


class FiguresSubmit(ApiView):
    """A firm's yearly figures (money in yuan) delivered as a submission for its county to confirm."""

    required_scope = "figures:submit"

    @extend_schema(
        request=serializers.FiguresSubmission,
        responses={201: serializers.SubmissionResponse},
        parameters=[OpenApiParameter("credit_code", str, OpenApiParameter.PATH)],
    )
    def post(self, request, credit_code: str):
        payload = serializers.FiguresSubmission(data=request.data)
        payload.is_valid(raise_exception=True)
        enterprise = enterprise_for(request.user, credit_code)
        # The submission keeps what the firm's form takes: money in 万元 (exact: yuan to the fen).
        data = {
            k: "" if v is None else format(yuan_to_wan(v), "f") if k in MONEY_FIELDS else str(v)
            for k, v in payload.validated_data.items()
        }
        submission = submission_deliver(enterprise=enterprise, data=data, by=request.user)
        body = {
            "submission": submission.pk,
            "status": submission.status,
            "status_label": submission.get_status_display(),
            "year": submission.year,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class OfficialLists(ApiView):
    """An official list (认定名单) posted as data; ``dry_run`` reports what it would do and writes nothing.
    The same rows, kind and date posted again change nothing (``already_imported``)."""

    required_scope = "official_lists:write"

    @extend_schema(
        request=serializers.OfficialListRequest,
        responses={201: serializers.OfficialListResponse, 200: serializers.OfficialListResponse},
    )
    def post(self, request):
        payload = serializers.OfficialListRequest(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if len(data["rows"]) > MAX_LIST_ROWS:
            raise DomainError(_("一次最多报送%(n)d行，请分批报送。") % {"n": MAX_LIST_ROWS}, field="rows")
        result = official_list_import_rows(
            rows=data["rows"],
            kind=data["kind"],
            granted_on=data["granted_on"],
            title=data["title"],
            dry_run=data["dry_run"],
            by=request.user,
        )
        body = {
            "dry_run": result.dry_run,
            "already_imported": result.already_imported,
            "official_list": None if result.dry_run else result.list.pk,
            "matched": result.matched,
            "unmatched": result.unmatched,
            "new_qualifications": result.new_qualifications,
            "new_rewards": result.new_rewards,
            "warnings": [str(w) for w in result.warnings],
        }
        written = not result.dry_run and not result.already_imported
        return Response(body, status=status.HTTP_201_CREATED if written else status.HTTP_200_OK)


MAX_LIST_ROWS = 5000


def reference(request):
    """The API's reference page (Swagger UI from our own static files; the schema it reads is public)."""
    return render(request, "api/reference.html")
