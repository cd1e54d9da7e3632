"""The OpenAPI schema: every operation documents the refusals it can give, in the one error shape."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

# status: when it is given
ERRORS_READ = ("400", "401", "403", "404", "413", "429")
ERRORS_WRITE = ("400", "401", "403", "404", "409", "413", "415", "429")


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        from .serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        codes = ERRORS_READ if self.method in ("GET", "HEAD") else ERRORS_WRITE
        for code in (*codes, "405", "406"):
            error = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            responses.setdefault(code, error)
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    """The token door in the schema: ``Authorization: Bearer <token>``."""

    target_class = "api.rest.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
