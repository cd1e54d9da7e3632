"""The one error type a service raises when it refuses; views catch this and nothing else."""

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A refused business operation; its message is shown to the user as it is.

    ``field`` names the form field the refusal is about (the form marks it and keeps what was typed);
    ``errors`` carries several fields' messages at once (``{field: [message, ...]}``, ``None`` for the
    form as a whole), as a model's ``full_clean`` reports them.
    """

    def __init__(self, message, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.errors = errors or {}

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> "DomainError":
        if hasattr(exc, "error_dict"):
            errors = {(None if name == "__all__" else name): msgs for name, msgs in exc.message_dict.items()}
            return cls("；".join(m for messages in errors.values() for m in messages), errors=errors)
        return cls("；".join(exc.messages))


def full_clean(obj, **kwargs) -> None:
    """``obj.full_clean(**kwargs)``, its ``ValidationError`` turned into the services' ``DomainError``."""
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from None
