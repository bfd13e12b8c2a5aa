"""Share links: the kernel's one mechanism for read-only links that need no account (the calendar's
share links, shared dashboards), below every app so any app can share.

A link is a :class:`~socialops.sharing.models.ShareLink` row of one organization and one *kind*.
Its token, ``<random>:<signature>``, is shown once when it is created: the signature (Django's
signing, salted per kind) refuses a tampered token before the database is asked, and only a
SHA-256 of the random part is stored. A link is revocable and optionally expiring
(``expires_at`` null: it never expires).

**Kinds.** An upper layer registers its kind once, in its ``AppConfig.ready()``; the kernel imports
no app (an import-linter contract)::

    from django.utils.translation import gettext_lazy as _
    from socialops.sharing.kinds import register_kind

    register_kind(
        "dashboard",
        label=_("Dashboard share link"),      # the offboarding preview and report show it
        check=creator_still_may_view,           # optional: link -> None, or "revoked" to refuse it
    )

``salt`` defaults to ``"socialops.sharing.<kind>"``; the calendar keeps its own
(``"publishing.calendar-share"``) so the links made before the move keep working.

**Services** (:mod:`socialops.sharing.services`; the caller checks the capability, the kernel
audits ``<kind>_share.created`` / ``<kind>_share.revoked``)::

    link, token = services.create_link(org, kind="dashboard", by=membership.user, name="Board",
                                       target_id=dashboard.pk, filters={...},
                                       timezone_name="Asia/Jakarta", expires_at=None)
    services.revoke_link(link, by=membership.user)
    link = services.resolve(token, kind="dashboard")   # None: unknown or tampered (404);
                                                       # raises services.ShareLinkGone (410),
                                                       # .reason "expired" or "revoked"

``resolve`` also marks ``last_used_at`` (one UPDATE at most every five minutes a link).

**Selectors** (:mod:`socialops.sharing.selectors`): ``links_of(org, kind=...)``,
``get_link(org, link_id, kind=...)`` (another organization's id is a 404),
``links_created_by(org, user)`` (every kind; offboarding revokes them all).

**Pages.** :func:`socialops.sharing.views.shared_link` is a view decorator for the public page of
a kind: it resolves the ``share_token`` URL argument and renders the one "link not available" page
(``templates/sharing/gone.html``, phone-first) with 404 (unknown, tampered, another kind's token)
or 410 (expired, revoked, or refused by the kind's ``check``), otherwise calls the view with the
link::

    @shared_link("dashboard")
    def shared_dashboard(request, link, share_token): ...

``gone_response(request, reason, kind=...)`` renders the same page where a decorator does not fit.
"""
