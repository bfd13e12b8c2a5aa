"""Every main page passes axe-core with no serious or critical finding, at 1366 px and at 375 px,
in English and (for a set of pages) in Indonesian, whose labels are longer.

The organization is the demo one (``manage.py seed_demo``: teams, people, sandbox channels, a
campaign, notes and holidays, posts from published to planned, an approval workflow), plus what
the demo lacks: approval requests at both stages (so the owner has a queue, notifications and an
approval link), an approved post, a picture in the media library, an invitation, an API token, a
share link and a day with more posts than the month grid shows ("+N more").

A failure lists each violation: rule id, impact, what it means, and the elements (selectors).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Organization, Team
from approvals import services as approval_services
from approvals.models import ApprovalRequest, Workflow
from channels_registry.models import Channel
from inbox.models import Conversation
from publishing.calendar import services as calendar_services
from publishing.models import CalendarNote, Campaign, Post
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from tests.publishing.media_factories import image_bytes, upload
from tests.snapshot import restored

from .axe import describe, run_axe, serious
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")
PASSWORD = "socialops-demo"
OWNER = "admin@demo.socialops.local"
VIEWER = "viewer@demo.socialops.local"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


@dataclass
class World:
    org: Organization
    ids: dict = field(default_factory=dict)
    link: str = ""
    share_token: str = ""
    more_day: str = ""


def _member(org, email) -> Membership:
    return Membership.objects.for_org(org).select_related("user").get(user__email=email)


def _link_for(email) -> str:
    for msg in reversed(mail.outbox):
        if msg.to == [email]:
            for body, _mime in msg.alternatives:
                found = re.search(r'href="https?://[^/"]+(/a/[^"]+/)"', body)
                if found:
                    return found.group(1)
    raise AssertionError(f"no approval link e-mailed to {email}")


@pytest.fixture(scope="session")
def _world_media(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("a11y-media"))


@pytest.fixture
def world(settings, transactional_db, _world_media) -> World:
    """The demo organization and what it lacks: built once per test process, its rows put back for
    each test (tests/snapshot.py); the picture's file stays in the process's media folder."""
    settings.MEDIA_ROOT = _world_media
    return restored("accessibility-world", _build_world)


def _build_world() -> World:
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    owner = _member(org, OWNER)
    manager = _member(org, "manager@demo.socialops.local")
    legal = _member(org, "approver@demo.socialops.local")
    channels = {c.external_id: c for c in Channel.objects.for_org(org)}
    w = World(org=org)

    # Two reviews of Indonesian posts: one waits for Legal, one has passed Legal and waits for
    # the owner (Brand), who then has a queue, notifications and a one-tap link.
    waiting_legal = authoring.create_post(
        org,
        by=manager,
        text="Kopi pagi promo: two for one before nine",
        channels=[channels["sbx-kopi"]],
    )
    approval_services.submit_for_approval(waiting_legal, by=manager)
    for_owner = authoring.create_post(
        org,
        by=manager,
        text="Rendang bowl launch in Jakarta, with a long caption that wraps on a phone screen",
        channels=[channels["sbx-id"], channels["sbx-promo"]],
    )
    request = approval_services.submit_for_approval(for_owner, by=manager)
    approval_services.decide(request, by=legal, decision="approve", comment="Claims checked")
    w.link = _link_for(OWNER)
    # An approved post: both stages passed, no time chosen yet.
    approved = authoring.create_post(
        org,
        by=manager,
        text="Thank-you note to our Surabaya suppliers",
        channels=[channels["sbx-promo"]],
    )
    done = approval_services.submit_for_approval(approved, by=manager)
    approval_services.decide(done, by=legal, decision="approve")
    done.refresh_from_db()
    approval_services.decide(done, by=owner, decision="approve")

    # A day with more posts than the month grid shows (dayMaxEvents is 5): "+N more".
    zone = timezone.get_current_timezone()
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    for hour in range(8, 16):
        post = authoring.create_post(
            org, by=owner, text=f"Menu of the hour {hour}:00", channels=[channels["sbx-kitchen"]]
        )
        scheduling.schedule_post(
            post,
            by=owner,
            at=datetime.combine(day, time(hour), tzinfo=UTC),
            timezone_name="UTC",
            source="calendar",
        )
    w.more_day = day.isoformat()
    # A campaign in a mid green: white words on it read at 3.3:1, dark ones at 5.5:1.
    green = authoring.create_campaign(
        org, by=owner, name="Green kitchen week", color="#16a34a", starts_on=day, ends_on=day
    )
    post = authoring.create_post(
        org, by=owner, text="Compost your peels", channels=[channels["sbx-sg"]], campaign=green
    )
    scheduling.schedule_post(
        post,
        by=owner,
        at=datetime.combine(day + timedelta(days=1), time(9), tzinfo=UTC),
        timezone_name="UTC",
        source="calendar",
    )

    asset = upload(org, owner, image_bytes(800, 600), name="sambal.jpg", alt_text="A jar of sambal")
    account_services.invite_member(
        org, by=owner, email="new.hire@demo.socialops.local", role="publisher"
    )
    account_services.create_api_token(owner, name="Reporting script")
    _link, w.share_token = calendar_services.create_share_link(
        org, by=owner, name="Agency view", filters={}
    )

    posts = Post.objects.for_org(org)
    w.ids = {
        "published": posts.filter(status=Post.Status.PUBLISHED).first().pk,
        "failed": posts.filter(status=Post.Status.FAILED).first().pk,
        "scheduled": posts.filter(status=Post.Status.SCHEDULED).first().pk,
        "draft": posts.filter(status=Post.Status.DRAFT).first().pk,
        "in_review": for_owner.pk,
        "approved": approved.pk,
        "request": request.pk,
        "workflow": Workflow.objects.for_org(org).first().pk,
        "media": asset.asset.pk,
        "channel": channels["sbx-id"].pk,
        "team": Team.objects.for_org(org).get(name="Indonesia").pk,
        "member": manager.pk,
        "campaign": Campaign.objects.for_org(org).exclude(pk=green.pk).first().pk,
        "note": CalendarNote.objects.for_org(org).first().pk,
        "conversation": Conversation.objects.for_org(org).order_by("pk").first().pk,
    }
    assert ApprovalRequest.objects.for_org(org).count() == 3
    return w


def _sign_in(pg, base, email):
    pg.goto(f"{base}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(re.compile(r".*/(o/[^/]+|orgs)/$"))


def _context(browser, *, viewport, language):
    phone = viewport["width"] < 600
    ctx = browser.new_context(
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        locale="id-ID" if language == "id" else "en-US",
    )
    return ctx


def _set_language(ctx, base, language):
    ctx.add_cookies([{"name": "socialops_language", "value": language, "url": base}])


def _wait_calendar(pg):
    pg.locator("#calendar[data-ready='1']").wait_for()
    pg.locator("#calendar .fc-event").first.wait_for()
    pg.wait_for_timeout(150)


def _org_pages(w: World) -> list[tuple[str, str]]:
    """(name, path) of every main page of the organization, in the order a person meets them."""
    o, i = f"/o/{w.org.slug}", w.ids
    return [
        ("start page", f"{o}/"),
        ("posts list", f"{o}/posts/"),
        ("post detail (published)", f"{o}/posts/{i['published']}/"),
        ("post detail (failed)", f"{o}/posts/{i['failed']}/"),
        ("post detail (scheduled)", f"{o}/posts/{i['scheduled']}/"),
        ("post detail (in review)", f"{o}/posts/{i['in_review']}/"),
        ("post detail (approved)", f"{o}/posts/{i['approved']}/"),
        ("post detail (draft)", f"{o}/posts/{i['draft']}/"),
        ("CSV import", f"{o}/posts/import/"),
        ("media library", f"{o}/media/"),
        ("media detail", f"{o}/media/{i['media']}/"),
        ("campaigns", f"{o}/campaigns/"),
        ("campaign edit", f"{o}/campaigns/{i['campaign']}/edit/"),
        ("calendar notes", f"{o}/calendar/notes/"),
        ("calendar note edit", f"{o}/calendar/notes/{i['note']}/"),
        ("calendar holidays", f"{o}/calendar/holidays/"),
        ("calendar cadence", f"{o}/calendar/cadence/"),
        ("calendar share links", f"{o}/calendar/share/"),
        ("inbox", f"{o}/inbox/"),
        ("inbox conversation", f"{o}/inbox/{i['conversation']}/"),
        ("approvals queue", f"{o}/approvals/"),
        ("approval request", f"{o}/approvals/requests/{i['request']}/"),
        ("workflows", f"{o}/approvals/workflows/"),
        ("workflow builder (new)", f"{o}/approvals/workflows/new/"),
        ("workflow builder (edit)", f"{o}/approvals/workflows/{i['workflow']}/"),
        ("approval policy", f"{o}/approvals/policy/"),
        ("out of office", f"{o}/approvals/away/"),
        ("channels inventory", f"{o}/channels/"),
        ("channel detail", f"{o}/channels/{i['channel']}/"),
        ("channel connect", f"{o}/channels/connect/"),
        ("channel groups", f"{o}/channels/groups/"),
        ("members", f"{o}/members/"),
        ("member detail", f"{o}/members/{i['member']}/"),
        ("teams", f"{o}/teams/"),
        ("team detail", f"{o}/teams/{i['team']}/"),
        ("invitations", f"{o}/invitations/"),
        ("roles", f"{o}/roles/"),
        ("API tokens", f"{o}/tokens/"),
        ("notifications", f"{o}/notifications/"),
        ("notification settings", f"{o}/notifications/settings/"),
        ("organization settings", f"{o}/settings/"),
        ("governance audit log", f"{o}/governance/audit/"),
        ("governance coverage", f"{o}/governance/coverage/"),
        ("governance channel inventory", f"{o}/governance/inventory/"),
        ("governance offboarding", f"{o}/governance/offboarding/"),
        ("governance access matrix", f"{o}/governance/access/"),
        ("governance access reviews", f"{o}/governance/access/reviews/"),
        ("inbox figures", f"{o}/inbox/figures/"),
        ("analytics dashboard", f"{o}/analytics/"),
        ("profile", "/me/"),
        ("organizations", "/orgs/"),
        ("not found (404)", f"{o}/posts/999999/"),
    ]


#: Indonesian labels are longer: these pages are checked in Indonesian too.
INDONESIAN = {
    "start page",
    "posts list",
    "post detail (failed)",
    "approvals queue",
    "approval request",
    "workflow builder (edit)",
    "channels inventory",
    "members",
    "notifications",
    "governance audit log",
    "governance channel inventory",
    "governance access matrix",
    "analytics dashboard",
}


class Findings:
    def __init__(self, label):
        self.label = label
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, pg, name):
        found = serious(run_axe(pg))
        self.checked.append(name)
        if found:
            self.problems.append(describe(found, where=f"[{self.label}] {name}: "))
        # WCAG 1.4.10 (reflow): at 320-375 px nothing makes the page scroll sideways
        if not no_horizontal_scroll(pg):
            wide = pg.evaluate(
                """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                             && !e.closest('.table-wrap, .fc-scroller'))
                .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
            )
            self.problems.append(f"[{self.label}] {name}: the page scrolls sideways: {wide}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", f"{self.label}-{name}".lower()).strip("-")
            pg.screenshot(path=f"{SHOTS}/a11y-{slug}.png", full_page=True)

    def assert_clean(self):
        assert not self.problems, (
            f"axe found serious or critical problems on {len(self.problems)} of "
            f"{len(self.checked)} pages:\n" + "\n".join(self.problems)
        )


def _calendar_views(pg, base, w: World, findings: Findings, *, phone: bool):
    pg.goto(f"{base}/o/{w.org.slug}/calendar/")
    _wait_calendar(pg)
    if phone:
        findings.check(pg, "calendar (list week, the phone's default)")
        pg.locator(".fc-dayGridMonth-button").click()
    pg.locator(".fc-dayGridMonth-view").wait_for()
    _wait_calendar(pg)
    pg.locator(f"td[data-date='{w.more_day}'] .fc-more-link").wait_for()
    findings.check(pg, "calendar month (with +N more)")
    pg.locator(f"td[data-date='{w.more_day}'] .fc-more-link").click()
    pg.locator(".fc-more-popover").wait_for()
    _until(pg, "document.activeElement.closest('.fc-more-popover') !== null")
    findings.check(pg, "calendar month, +N more popover open")
    pg.keyboard.press("Escape")
    if not phone:
        pg.locator(".fc-timeGridWeek-button").click()
        pg.locator(".fc-timeGridWeek-view").wait_for()
        _wait_calendar(pg)
        findings.check(pg, "calendar week")
        pg.locator(".fc-listMonth-button").click()
        pg.locator(".fc-listMonth-view, .fc-list").first.wait_for()
        _wait_calendar(pg)
        findings.check(pg, "calendar list")


@pytest.mark.parametrize(
    "viewport,language",
    [(DESKTOP, "en"), (PHONE, "en"), (DESKTOP, "id"), (PHONE, "id")],
    ids=["1366px-en", "375px-en", "1366px-id", "375px-id"],
)
def test_every_main_page_passes_axe(browser, live_server, world, viewport, language):
    phone = viewport["width"] < 600
    findings = Findings(f"{viewport['width']}px {language}")
    base = live_server.url
    ctx = _context(browser, viewport=viewport, language=language)
    _set_language(ctx, base, language)
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    try:
        # Signed out: sign-in, the shared calendar.
        pg.goto(f"{base}/accounts/login/")
        findings.check(pg, "sign in")
        pg.goto(f"{base}/calendar/shared/{world.share_token}/")
        _wait_calendar(pg)
        findings.check(pg, "shared calendar (signed out)")

        _sign_in(pg, base, OWNER)
        if language == "id":
            account_services.set_language(_member(world.org, OWNER).user, "id")
        for name, path in _org_pages(world):
            if language == "id" and name not in INDONESIAN:
                continue
            pg.goto(base + path)
            pg.wait_for_load_state("networkidle")
            if language == "id":
                assert pg.locator("html").get_attribute("lang") == "id", name
            findings.check(pg, name)
            if phone and name == "start page":
                pg.locator("[data-nav-toggle]").click()
                findings.check(pg, "start page, phone menu open")
            if name == "start page":
                pg.locator(".org-switcher summary").click()
                findings.check(pg, "start page, organization switcher open")
        _calendar_views(pg, base, world, findings, phone=phone)
    finally:
        ctx.close()

    # Not allowed (403): a viewer opens the audit log.
    ctx = _context(browser, viewport=viewport, language=language)
    _set_language(ctx, base, language)
    pg = ctx.new_page()
    try:
        _sign_in(pg, base, VIEWER)
        response = pg.goto(f"{base}/o/{world.org.slug}/governance/audit/")
        assert response.status == 403
        findings.check(pg, "not allowed (403)")
    finally:
        ctx.close()
    findings.assert_clean()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "375px"])
def test_the_composer_passes_axe(browser, live_server, world, viewport):
    findings = Findings(f"{viewport['width']}px en")
    ctx = _context(browser, viewport=viewport, language="en")
    pg = ctx.new_page()
    try:
        _sign_in(pg, live_server.url, OWNER)
        pg.goto(f"{live_server.url}/o/{world.org.slug}/compose/")
        pg.wait_for_load_state("networkidle")
        findings.check(pg, "composer")
        # with text and two channels: the per-network previews and counters are drawn
        pg.fill("textarea[name=text]", "Sambal of the week: extra hot, with a long caption " * 3)
        pg.locator("input[name=channels]").nth(0).check()
        pg.locator("input[name=channels]").nth(1).check()
        pg.wait_for_load_state("networkidle")
        pg.wait_for_timeout(500)
        findings.check(pg, "composer (two channels, previews)")
        # sent without channels: the form comes back with its errors
        pg.locator("input[name=channels]").nth(0).uncheck()
        pg.locator("input[name=channels]").nth(1).uncheck()
        pg.locator("button[name=action][value=save]").click()
        pg.wait_for_load_state("networkidle")
        findings.check(pg, "composer (errors)")
        pg.goto(f"{live_server.url}/o/{world.org.slug}/posts/{world.ids['draft']}/edit/")
        pg.wait_for_load_state("networkidle")
        findings.check(pg, "composer (editing a draft)")
    finally:
        ctx.close()
    findings.assert_clean()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "375px"])
def test_the_approval_link_page_passes_axe(browser, live_server, world, viewport):
    findings = Findings(f"{viewport['width']}px en")
    ctx = _context(browser, viewport=viewport, language="en")
    pg = ctx.new_page()
    try:
        pg.goto(live_server.url + world.link)
        findings.check(pg, "approval link page (signed out)")
    finally:
        ctx.close()
    findings.assert_clean()


# --- The four problems named in the issue, each checked directly ------------------------------------


def _ax(pg, selector) -> dict:
    """Chromium's own accessibility node for ``selector``: role, name, description, properties."""
    cdp = pg.context.new_cdp_session(pg)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"nothing matches {selector}"
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    finally:
        cdp.detach()
    n = ax["nodes"][0]
    return {
        "role": n.get("role", {}).get("value", ""),
        "name": n.get("name", {}).get("value", ""),
        "description": n.get("description", {}).get("value", ""),
        "properties": {p["name"]: p["value"].get("value") for p in n.get("properties", [])},
    }


def _until(pg, expression, timeout=5.0):
    """Wait until ``expression`` is true in the page (wait_for_function evaluates strings, which
    the pages' CSP refuses)."""
    import time as clock

    deadline = clock.monotonic() + timeout
    while not pg.evaluate(expression):
        assert clock.monotonic() < deadline, f"still false after {timeout}s: {expression}"
        pg.wait_for_timeout(50)


def _hint(language, text):
    from django.utils import translation

    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_organization_switcher_is_named_by_the_words_it_shows(
    browser, live_server, world, language
):
    ctx = _context(browser, viewport=DESKTOP, language=language)
    _set_language(ctx, live_server.url, language)
    pg = ctx.new_page()
    try:
        _sign_in(pg, live_server.url, OWNER)
        pg.goto(f"{live_server.url}/o/{world.org.slug}/posts/")
        summary = ".org-switcher summary"
        assert pg.locator(summary).inner_text().startswith(world.org.name)
        name = _ax(pg, summary)["name"]
        # voice control ("click Nusantara Foods") and what a screen reader says start with the words
        assert name.startswith(world.org.name), name
        assert _hint(language, "Switch organization") in name
        assert not serious(run_axe(pg, context={"include": [[".org-switcher"]]}))
        # and it works from the keyboard: Enter opens it, Tab reaches the organizations
        pg.locator(summary).focus()
        pg.keyboard.press("Enter")
        assert pg.locator(".org-switcher").get_attribute("open") is not None
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.closest('.org-switcher ul') !== null")
        # Escape closes it and the focus is back on it
        pg.keyboard.press("Escape")
        assert pg.locator(".org-switcher").get_attribute("open") is None
        assert pg.evaluate("document.activeElement.matches('.org-switcher summary')")
    finally:
        ctx.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_calendar_arrows_and_more_link_have_names(browser, live_server, world, language):
    ctx = _context(browser, viewport=DESKTOP, language=language)
    _set_language(ctx, live_server.url, language)
    pg = ctx.new_page()
    try:
        _sign_in(pg, live_server.url, OWNER)
        pg.goto(f"{live_server.url}/o/{world.org.slug}/calendar/")
        _wait_calendar(pg)
        # The arrows: named in the page's language, their icons decoration (no nameless image).
        assert _ax(pg, ".fc-prev-button")["name"] == _hint(language, "Previous month")
        assert _ax(pg, ".fc-next-button")["name"] == _hint(language, "Next month")
        assert _ax(pg, ".fc-dayGridMonth-button")["description"] in (
            "",
            _hint(language, "Month view"),
        )
        toolbar = run_axe(pg, context={"include": [[".fc-header-toolbar"]]})
        assert not serious(toolbar), describe(serious(toolbar))
        pg.locator(".fc-timeGridWeek-button").click()
        pg.locator(".fc-timeGridWeek-view").wait_for()
        assert _ax(pg, ".fc-prev-button")["name"] == _hint(language, "Previous week")
        assert not serious(run_axe(pg, context={"include": [[".fc-header-toolbar"]]}))
        pg.locator(".fc-dayGridMonth-button").click()
        pg.locator(".fc-dayGridMonth-view").wait_for()
        _wait_calendar(pg)

        # "+N more": a button named by its words, whose aria-expanded says whether it is open.
        more = f"td[data-date='{world.more_day}'] .fc-more-link"
        pg.locator(more).wait_for()
        node = _ax(pg, more)
        shown = pg.locator(more).inner_text().strip()
        assert node["role"] == "button", node
        assert node["name"] == shown and shown.startswith("+"), node
        assert node["properties"].get("expanded") is False, node
        count = re.search(r"\d+", shown).group(0)
        # the template's msgid ({% blocktranslate with count=… %}), filled as FullCalendar fills "$0"
        assert node["description"] == _hint(language, "Show %(count)s more on this day") % {
            "count": count
        }, node
        assert not serious(run_axe(pg, context={"include": [[more]]}))
        # from the keyboard: Enter opens the popover with the focus in it (its posts next), a
        # dialog named by its day, closed by Escape or its close button, the focus back on the link
        pg.locator(more).focus()
        pg.keyboard.press("Enter")
        pg.locator(".fc-more-popover").wait_for()
        assert _ax(pg, more)["properties"].get("expanded") is True
        _until(pg, "document.activeElement.closest('.fc-more-popover') !== null")
        assert pg.evaluate("document.activeElement.matches('.fc-more-popover .fc-event')")
        dialog = _ax(pg, ".fc-more-popover")
        assert dialog["role"] == "dialog" and dialog["name"], dialog
        popover = run_axe(pg, context={"include": [[".fc-more-popover"]]})
        assert not serious(popover), describe(serious(popover))
        pg.keyboard.press("Escape")
        pg.locator(".fc-more-popover").wait_for(state="detached")
        _until(pg, "document.activeElement.matches('.fc-more-link')")
        pg.keyboard.press("Enter")
        pg.locator(".fc-more-popover").wait_for()
        _until(pg, "document.activeElement.closest('.fc-more-popover') !== null")
        close = _ax(pg, ".fc-popover-close")
        assert close["role"] == "button" and close["name"] == _hint(language, "Close"), close
        pg.locator(".fc-popover-close").focus()
        pg.keyboard.press("Enter")
        pg.locator(".fc-more-popover").wait_for(state="detached")
        _until(pg, "document.activeElement.matches('.fc-more-link')")
    finally:
        ctx.close()


def _chip_statuses(pg) -> set[str]:
    return set(
        pg.eval_on_selector_all("#calendar [data-status]", "els => els.map(e => e.dataset.status)")
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "375px"])
def test_calendar_chips_read_at_wcag_aa_in_every_view(browser, live_server, world, viewport):
    ctx = _context(browser, viewport=viewport, language="en")
    pg = ctx.new_page()
    only_contrast = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}
    problems = []

    def check(view):
        found = pg.evaluate(
            "([options]) => axe.run('#calendar', options).then(r => r.violations)",
            [only_contrast],
        )
        if found:
            problems.append(describe(found, where=f"{view}: "))

    try:
        _sign_in(pg, live_server.url, OWNER)
        pg.goto(f"{live_server.url}/o/{world.org.slug}/calendar/")
        _wait_calendar(pg)
        run_axe(pg, context={"include": [["#calendar"]]})  # loads axe
        for button, view in [
            (".fc-dayGridMonth-button", ".fc-dayGridMonth-view"),
            (".fc-timeGridWeek-button", ".fc-timeGridWeek-view"),
            (".fc-listMonth-button, .fc-listWeek-button", ".fc-list"),
        ]:
            if pg.locator(button).count() == 0:
                continue
            pg.locator(button).first.click()
            pg.locator(view).first.wait_for()
            _wait_calendar(pg)
            # every kind of chip is on the page: published, failed, planned, scheduled, a campaign's
            weekly = pg.locator(".fc-timeGridWeek-view, .fc-listWeek-view").count() > 0
            statuses = _chip_statuses(pg)
            check(view)
            if weekly:
                # a Monday-first week may hold only one side of now: on a Sunday the scheduled
                # posts (tomorrow) are next week, early on a Monday the published ones (up to
                # yesterday) last week; the weeks around this one are read and checked too
                for move in (".fc-prev-button", ".fc-next-button"):
                    pg.locator(move).first.click()
                    _wait_calendar(pg)
                    statuses |= _chip_statuses(pg)
                    check(view)
                    pg.locator(".fc-today-button").first.click()
                    _wait_calendar(pg)
            assert {"published", "scheduled"} <= statuses, (view, statuses)
        # axe leaves out text of one or two characters: the day numbers, measured here (their
        # colour and every ancestor's opacity, on the white calendar)
        pg.locator(".fc-dayGridMonth-button").first.click()
        pg.locator(".fc-dayGridMonth-view").wait_for()
        faint = pg.evaluate(
            """() => [...document.querySelectorAll('#calendar .fc-daygrid-day-number')].map(el => {
            let alpha = 1;
            for (let n = el; n; n = n.parentElement) { alpha *= parseFloat(getComputedStyle(n).opacity); }
            const [r, g, b] = getComputedStyle(el).color.match(/\\d+/g).map(Number)
                .map(c => (c * alpha + 255 * (1 - alpha)) / 255)
                .map(c => c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
            const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            return [el.textContent, 1.05 / (lum + 0.05)];
        }).filter(([, ratio]) => ratio < 4.5)"""
        )
        if faint:
            problems.append(f"day numbers under 4.5:1 on white: {faint[:5]}")
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


# --- The keyboard, where axe cannot look ----------------------------------------------------------


def _focus_indicator(pg) -> str:
    """How the focused element shows its focus: its outline or box shadow ('' when it shows none)."""
    return pg.evaluate(
        """() => {
        const el = document.activeElement, s = getComputedStyle(el);
        if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) {
            return 'outline ' + s.outlineWidth + ' ' + s.outlineColor; }
        if (s.boxShadow && s.boxShadow !== 'none') { return 'shadow ' + s.boxShadow; }
        return '';
    }"""
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "375px"])
def test_the_keyboard_reaches_the_content_and_shows_where_it_is(
    browser, live_server, world, viewport
):
    ctx = _context(browser, viewport=viewport, language="en")
    pg = ctx.new_page()
    try:
        _sign_in(pg, live_server.url, OWNER)
        for path in ["/", "/posts/", "/calendar/", "/approvals/"]:
            pg.goto(f"{live_server.url}/o/{world.org.slug}{path}")
            pg.wait_for_load_state("networkidle")
            pg.locator("body").focus()
            pg.evaluate("document.activeElement && document.activeElement.blur()")
            # The first Tab reaches "Skip to content", shown on the screen; Enter moves to main.
            pg.keyboard.press("Tab")
            assert pg.evaluate("document.activeElement.className") == "skip-link", path
            box = pg.locator(".skip-link").bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0, box
            assert _focus_indicator(pg), path
            pg.keyboard.press("Enter")
            assert pg.evaluate("document.activeElement.id") == "main", path
            # The next stops are in the content, each showing its focus.
            stops = 0
            for _ in range(8):
                pg.keyboard.press("Tab")
                if not pg.evaluate("document.activeElement.closest('main') !== null"):
                    break
                stops += 1
                what = pg.evaluate("document.activeElement.outerHTML.slice(0, 120)")
                assert _focus_indicator(pg), f"{path}: no visible focus on {what}"
            assert stops, f"{path}: Tab after the skip link left the content"
        if viewport["width"] < 600:
            # The phone menu opens from the keyboard and says so.
            toggle = pg.locator("[data-nav-toggle]")
            toggle.focus()
            pg.keyboard.press("Enter")
            assert toggle.get_attribute("aria-expanded") == "true"
            assert pg.locator("#primary-nav").is_visible()
    finally:
        ctx.close()
