"""The audit log page, its CSV export, its API and the retention setting (governance, issue 15).

The log itself is the kernel's (:mod:`socialops.audit`): these pages read it through its selectors
and change only the retention, through its services. Governance managers only
(``Capability.MANAGE_GOVERNANCE``); the API needs the ``audit:read`` scope.
"""
