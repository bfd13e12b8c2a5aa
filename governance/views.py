"""The audit log page moved to :mod:`governance.audit_log.views` (kept importable here)."""

from .audit_log.views import audit_log

__all__ = ["audit_log"]
