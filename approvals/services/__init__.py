"""approvals' one door for state changes (being split into rooms; see the modules)."""

from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed  # noqa: F401

from .. import selectors  # noqa: F401
from .decisions import *  # noqa: F403
