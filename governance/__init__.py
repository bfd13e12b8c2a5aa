"""Governance: the top floor, above every other app.

Today it shows the audit log (the page under ``/o/<slug>/governance/audit/``, read through
:mod:`socialops.audit.selectors`; the log itself lives in the kernel, :mod:`socialops.audit`).
The features that act across apps land here — offboarding, SCIM provisioning, crisis mode — and
do their work by calling each app's own services (accounts, channels_registry, publishing,
approvals, inbox), never another app's models. No app imports governance (the URL root mounts its
page).

Its migrations 0001–0003 made the audit tables; 0004 handed them to ``socialops.audit``.
"""
