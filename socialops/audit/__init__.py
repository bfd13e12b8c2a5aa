"""The audit log: the project kernel's record of who changed what, below every app.

Every app writes it through one small API, :mod:`socialops.audit.services`::

    from socialops.audit.services import record_event

    record_event(org, "team.created", obj=team, changes={"name": name})

- ``record_event(organization, action, *, obj, changes, actor, via)`` and ``record_events(
  organization, [Entry(...), ...])`` append to the organization's chain inside the caller's
  transaction (the outermost service's), so an entry lands exactly when its change does;
- ``audit_context(actor=…, ip_address=…, via=…)`` says who is acting and how (the middleware binds
  it per request, tasks bind ``via="task"``), ``set_audit_actor`` names the API token's user;
- ``verify_chain(organization)`` recomputes the chain (``manage.py verify_audit_log``);
- ``purge_entries(organization, before=…)`` deletes entries past the organization's retention
  (``AuditRetention``, default 7 years; ``set_retention``) behind a checkpoint sealed into the
  chain's head, from which ``verify_chain`` then starts; the daily task
  (``tasks.purge_expired_entries``) runs it and the purge is itself recorded.

Reads go through :mod:`socialops.audit.selectors` (the governance page with its filters and
full-text search, the start page).

**What is audited.** Human and API actions are audited; ingested network items are not. Whatever a
person (on a page, through a signed link or with an API token) or a task acting on their behalf
changes is recorded — a post scheduled, a decision, a channel connected, a sign-in. What the
networks send us (comments, mentions, DMs, metrics, webhook deliveries) is data, stored by its
app with its own provenance; recording it here would put every tenant's busiest write path behind
its audit chain's lock and fill the log with what nobody decided.

**Where it sits.** The kernel, under accounts and every other app: any app may call it, it imports
none of them (an import-linter contract in ``pyproject.toml``). Its models name the organization
and the actor by string foreign keys (``"accounts.Organization"``, ``AUTH_USER_MODEL``).
Appends chain per organization on the organization's own head row (``AuditChainHead``, locked
``FOR NO KEY UPDATE``), never a lock on the Organization row. How the chain is keyed, anchored and
verified: :mod:`socialops.audit.chain` and :mod:`socialops.audit.services`.

The tables were created by governance's migrations 0001–0003 and adopted here without copying a
row (``migrations/0001_adopt_the_governance_tables.py`` says how).
"""
