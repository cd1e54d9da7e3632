from .base import *  # noqa: F403

PORTAL_ENVIRONMENT = "development"
