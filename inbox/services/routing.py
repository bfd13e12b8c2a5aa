"""Routing rules: who a new conversation goes to, and the round-robin among a team's members.

``ingest`` calls ``route_new_conversations`` once per batch with the conversations it opened: the
organization's active rules are read once (one query), matched in memory (first match by
``position`` wins), and each team that receives conversations costs a fixed few queries (its
members, the channel's grants, its round-robin pointer, locked), never one per item.

Round-robin: a team's candidates are its active members who may moderate the channel and are
working now (their own hours, else the team's; the team's holidays close both). They take turns
in the order of their ids, from the one after the last served (``RoundRobinPointer``, locked with
``select_for_update`` so two deliveries at once never give the same turn twice). Nobody available:
the conversation stays on the team, unassigned.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import hours
from accounts.capabilities import Capability, require
from accounts.models import Membership, Team
from accounts.selectors import subtree_of, team_parents
from channels_registry.selectors import members_with_capability
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import ConversationTag, Item, Priority, RoundRobinPointer, RoutingRule, Sentiment, Tag
from .facts import OrgFacts


@dataclass
class CompiledRule:
    rule: RoutingRule
    channels: frozenset[int]
    teams: frozenset[int]  # the subtrees of the rule's teams
    networks: frozenset[str]
    pattern: re.Pattern | None
    sentiments: frozenset[str]
    languages: frozenset[str]
    kinds: frozenset[str]

    def holds_for_channel(self, channel) -> bool:
        if self.channels and channel.pk not in self.channels:
            return False
        if self.networks and channel.provider not in self.networks:
            return False
        return not self.rule.teams or channel.team_id in self.teams

    def holds_for_item(self, item: Item) -> bool:
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.sentiments and item.sentiment not in self.sentiments:
            return False
        if self.languages and (item.language or "").lower() not in self.languages:
            return False
        return self.pattern is None or bool(self.pattern.search(item.text or ""))


def keyword_pattern(keywords) -> re.Pattern | None:
    """Any of ``keywords`` as whole words (or phrases), case-insensitive."""
    words = [k.strip() for k in keywords or [] if k and k.strip()]
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def compile_rules(organization_id: int) -> list[CompiledRule]:
    """The organization's active rules in order, ready to match (one query; two with team conditions)."""
    # a rule whose team and person were both removed since assigns nobody: it is skipped, not
    # allowed to stop the rules after it
    rules = list(
        RoutingRule.objects.for_org(organization_id)
        .filter(is_active=True)
        .filter(Q(assign_team__isnull=False) | Q(assign_to__isnull=False))
        .order_by("position", "pk")
    )
    parents = team_parents(organization_id) if any(r.teams for r in rules) else {}
    return [
        CompiledRule(
            rule=r,
            channels=frozenset(int(c) for c in r.channels),
            teams=frozenset(subtree_of(parents, [int(t) for t in r.teams]))
            if r.teams
            else frozenset(),
            networks=frozenset(r.networks),
            pattern=keyword_pattern(r.keywords),
            sentiments=frozenset(r.sentiments),
            languages=frozenset(str(x).lower() for x in r.languages),
            kinds=frozenset(r.kinds),
        )
        for r in rules
    ]


def first_match(rules: list[CompiledRule], channel, items: list[Item]) -> RoutingRule | None:
    """The first rule that holds for the channel and for one of the customer's ``items``."""
    inbound = [i for i in items if i.direction == Item.Direction.INBOUND]
    for compiled in rules:
        if compiled.holds_for_channel(channel) and any(compiled.holds_for_item(i) for i in inbound):
            return compiled.rule
    return None


def route_new_conversations(
    channel, opened: dict[int, tuple[object, list[Item]]], *, now=None, facts=None
) -> None:
    """Apply the rules to the conversations ``ingest`` just opened (``{pk: (conversation, its
    fresh items)}``): set assignee, team and priority on the objects (``ingest`` saves them in its
    one update) and put the rules' tags on them (one insert)."""
    if not opened:
        return
    org_id = channel.organization_id
    facts = facts or OrgFacts(org_id)
    rules = facts.kept("rules", lambda: compile_rules(org_id))
    if not rules:
        return
    now = now or timezone.now()
    by_team: dict[int, list] = defaultdict(list)
    people: dict[int, list] = defaultdict(list)
    tag_links: list[tuple[int, int]] = []
    for pk in sorted(opened):
        conversation, items = opened[pk]
        rule = first_match(rules, channel, items)
        if rule is None:
            continue
        if rule.priority:
            conversation.priority = rule.priority
        if rule.assign_team_id:
            conversation.assigned_team_id = rule.assign_team_id
        tag_links += [(conversation.pk, int(t)) for t in rule.tags]
        if rule.assign_to_id:
            people[rule.assign_to_id].append((conversation, rule.assign_team_id))
        elif rule.assign_team_id:
            by_team[rule.assign_team_id].append(conversation)
    if people or by_team:
        # who may take them: the rules' people and their teams' members, read once
        team_ids = set(by_team) | {t for pairs in people.values() for _c, t in pairs if t}
        members = facts.kept(
            ("candidates", frozenset(people), frozenset(team_ids)),
            lambda: _candidates(channel, people, team_ids),
        )
        # (what decides it besides the kept grants and members: the channel's own access)
        allowed = facts.kept(
            ("may moderate", channel.pk, channel.access, frozenset(people), frozenset(team_ids)),
            lambda: members_with_capability(channel, Capability.MODERATE, members),
        )
        if people:
            _assign_people(people, by_team, allowed)
        if by_team:
            _round_robin(channel, by_team, now, facts, members=members, allowed=allowed)
    if tag_links:
        _tag(org_id, tag_links, facts)


def _candidates(channel, people, team_ids) -> list[Membership]:
    """The active members among ``people`` (membership ids) and in ``team_ids``: one query (and
    their teams)."""
    return list(
        Membership.objects.for_org(channel.organization_id)
        .filter(Q(pk__in=list(people)) | Q(teams__in=sorted(team_ids)))
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("teams")
        .distinct()
    )


def _assign_people(people: dict[int, list], by_team: dict[int, list], allowed: set[int]) -> None:
    """A rule's named person takes the conversation if active and allowed on the channel
    (``allowed``); if not, its team's round-robin does (when the rule names a team)."""
    for member_id, conversations in people.items():
        for conversation, team_id in conversations:
            if member_id in allowed:
                conversation.assignee_id = member_id
            elif team_id:
                by_team[team_id].append(conversation)


def available_members(
    channel, team_ids, at: datetime, facts=None, *, members=None, allowed=None
) -> dict[int, list[int]]:
    """Per team, the ids (ascending) of its active members who may moderate ``channel`` and are
    working at ``at`` (their own hours, else the team's; the team's public holidays close both):
    a few queries for all the teams together. ``members`` (active, with their teams and users)
    and ``allowed`` (those of them who may moderate ``channel``) when the caller read them."""
    org_id = channel.organization_id
    facts = facts or OrgFacts(org_id)
    team_ids = sorted(set(team_ids))
    org_tz = facts.timezone
    teams = facts.teams(team_ids)
    if members is None:
        members = list(
            Membership.objects.for_org(org_id)
            .filter(teams__in=team_ids, is_active=True, user__is_active=True)
            .select_related("user")
            .prefetch_related("teams")
            .distinct()
        )
    if allowed is None:
        allowed = members_with_capability(channel, Capability.MODERATE, members)
    day = at.date()
    holidays = facts.holidays(list(teams), day - timedelta(days=1), day + timedelta(days=1))
    out: dict[int, list[int]] = {}
    for team_id in team_ids:
        team = teams.get(team_id)
        if team is None:
            out[team_id] = []
            continue
        team_hours = hours.team_schedule(team, org_tz)
        off = holidays.get(team_id, frozenset())
        ids = []
        for m in members:
            if m.pk not in allowed or team_id not in {t.pk for t in m.teams.all()}:
                continue
            if hours.is_open(hours.member_schedule(m, team_hours, org_tz), at, off):
                ids.append(m.pk)
        out[team_id] = sorted(ids)
    return out


def take_turns(candidates: list[int], last: int | None, count: int) -> list[int]:
    """``count`` turns among ``candidates`` (ascending ids), from the one after ``last``."""
    if not candidates or count <= 0:
        return []
    start = bisect.bisect_right(candidates, last) if last is not None else 0
    return [candidates[(start + i) % len(candidates)] for i in range(count)]


def _round_robin(
    channel, by_team: dict[int, list], now: datetime, facts, *, members=None, allowed=None
) -> None:
    org_id = channel.organization_id
    available = available_members(channel, by_team, now, facts, members=members, allowed=allowed)
    wanted = sorted(t for t in by_team if available.get(t))
    if not wanted:
        return
    # Locked in team order (two batches never wait on each other crosswise); held until the
    # ingest's transaction commits, so a concurrent delivery continues where this one stopped.
    pointers = _locked_pointers(org_id, wanted)
    if len(pointers) < len(wanted):
        # a team's first round: its pointer is made (a delivery racing to make it too skips it)
        RoundRobinPointer.objects.bulk_create(
            [
                RoundRobinPointer(organization_id=org_id, team_id=t)
                for t in wanted
                if t not in pointers
            ],
            ignore_conflicts=True,
        )
        pointers = _locked_pointers(org_id, wanted)
    last: dict[int, int] = {}
    for team_id in wanted:
        conversations = by_team[team_id]
        pointer_id, served = pointers[team_id]
        turns = take_turns(available[team_id], served, len(conversations))
        for conversation, member_id in zip(conversations, turns, strict=True):
            conversation.assignee_id = member_id
        last[pointer_id] = turns[-1]
    _advance_pointers(org_id, last)


# The pointers are read and written in plain SQL: a batch that opens conversations does both, and
# the ORM's compiling of a locking read and of ``bulk_update``'s CASE was most of routing's cost.


def _locked_pointers(org_id: int, team_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """``{team id: (pointer id, last member served)}`` of ``team_ids``' pointers, locked in team
    order until the transaction ends (where the database locks rows)."""
    meta = RoundRobinPointer._meta
    quote = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    column = quote(meta.get_field("last_membership_id").column)
    team = quote(meta.get_field("team").column)
    sql = (
        f"SELECT {team}, {quote(meta.pk.column)}, {column} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.get_field('organization').column)} = %s "
        f"AND {team} IN ({', '.join(['%s'] * len(team_ids))}) ORDER BY {team}{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [org_id, *team_ids])
        return {team_id: (pk, served) for team_id, pk, served in cursor.fetchall()}


def _advance_pointers(org_id: int, last: dict[int, int]) -> None:
    """Each pointer (by id) to the member it served last: one statement."""
    meta = RoundRobinPointer._meta
    quote = connection.ops.quote_name
    pk = quote(meta.pk.column)
    cases = " ".join(["WHEN %s THEN %s"] * len(last))
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608
        f"{quote(meta.get_field('last_membership_id').column)} = CASE {pk} {cases} END, "
        f"{quote(meta.get_field('updated_at').column)} = %s "
        f"WHERE {quote(meta.get_field('organization').column)} = %s "
        f"AND {pk} IN ({', '.join(['%s'] * len(last))})"
    )
    params = [v for pair in last.items() for v in pair]
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(sql, [*params, now, org_id, *last])


def _tag(org_id: int, links: list[tuple[int, int]], facts: OrgFacts) -> None:
    known = facts.kept(
        "tags", lambda: set(Tag.objects.for_org(org_id).values_list("pk", flat=True))
    )
    ConversationTag.objects.bulk_create(
        [
            ConversationTag(organization_id=org_id, conversation_id=c, tag_id=t)
            for c, t in links
            if t in known
        ],
        ignore_conflicts=True,
    )


# --- Managing the rules (pages and API) -----------------------------------------------------------

RULE_FIELDS = (
    "name",
    "is_active",
    "channels",
    "teams",
    "networks",
    "keywords",
    "sentiments",
    "languages",
    "kinds",
    "assign_team",
    "assign_to",
    "priority",
    "tags",
)


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [message]})


def _ids(values, field_name: str) -> list[int]:
    try:
        out = sorted({int(v) for v in values or []})
    except (TypeError, ValueError):
        raise _invalid(field_name, _("Give ids (whole numbers).")) from None
    if any(v <= 0 or v > 2**63 - 1 for v in out):
        raise _invalid(field_name, _("Give ids (whole numbers)."))
    return out


def _clean_rule(organization, data: dict) -> dict:
    """``data`` checked against the organization: every id names one of its objects."""
    from channels_registry.selectors import channels_of, networks_for

    clean: dict = {}
    name = str(data.get("name") or "").strip()
    if not name:
        raise _invalid("name", _("Give the rule a name."))
    if len(name) > 100:
        raise _invalid("name", _("At most 100 characters."))
    clean["name"] = name
    clean["is_active"] = bool(data.get("is_active", True))
    channel_ids = _ids(data.get("channels"), "channels")
    found = set(channels_of(organization).filter(pk__in=channel_ids).values_list("pk", flat=True))
    if set(channel_ids) - found:
        raise _invalid("channels", _("Choose channels of this organization."))
    clean["channels"] = channel_ids
    team_ids = _ids(data.get("teams"), "teams")
    teams = set(Team.objects.for_org(organization).values_list("pk", flat=True))
    if set(team_ids) - teams:
        raise _invalid("teams", _("Choose teams of this organization."))
    clean["teams"] = team_ids
    networks = sorted({str(n) for n in data.get("networks") or []})
    known_networks = {key for key, _cls in networks_for(organization)}
    if set(networks) - known_networks:
        raise _invalid("networks", _("Choose networks this organization can connect."))
    clean["networks"] = networks
    keywords = [str(k).strip() for k in data.get("keywords") or [] if str(k).strip()]
    if len(keywords) > 50 or any(len(k) > 100 for k in keywords):
        raise _invalid("keywords", _("At most 50 keywords of up to 100 characters."))
    clean["keywords"] = list(dict.fromkeys(keywords))
    for key, allowed_values in (
        ("sentiments", Sentiment.values),
        ("kinds", Item.Kind.values),
    ):
        values = sorted({str(v) for v in data.get(key) or []})
        if set(values) - set(allowed_values):
            raise _invalid(
                key, _("Choose among: %(values)s.") % {"values": ", ".join(allowed_values)}
            )
        clean[key] = values
    languages = sorted(
        {str(v).strip().lower() for v in data.get("languages") or [] if str(v).strip()}
    )
    if any(not re.fullmatch(r"[a-z]{2,3}", lang) for lang in languages):
        raise _invalid("languages", _("Give language codes such as en or id."))
    clean["languages"] = languages
    team_id = data.get("assign_team")
    if team_id not in (None, ""):
        (team_id,) = _ids([team_id], "assign_team")
        if team_id not in teams:
            raise _invalid("assign_team", _("Choose a team of this organization."))
    clean["assign_team_id"] = team_id or None
    person_id = data.get("assign_to")
    if person_id not in (None, ""):
        (person_id,) = _ids([person_id], "assign_to")
        if (
            not Membership.objects.for_org(organization)
            .filter(pk=person_id, is_active=True)
            .exists()
        ):
            raise _invalid("assign_to", _("Choose an active member of this organization."))
    clean["assign_to_id"] = person_id or None
    if not clean["assign_team_id"] and not clean["assign_to_id"]:
        message = _("Choose a team or a person to assign to.")
        raise ValidationFailed(message, fields={"assign_team": [message], "assign_to": [message]})
    priority = str(data.get("priority") or "")
    if priority and priority not in Priority.values:
        raise _invalid("priority", _("Choose low, normal, high or urgent."))
    clean["priority"] = priority
    tag_ids = _ids(data.get("tags"), "tags")
    if set(tag_ids) - set(
        Tag.objects.for_org(organization).filter(pk__in=tag_ids).values_list("pk", flat=True)
    ):
        raise _invalid("tags", _("Choose tags of this organization."))
    clean["tags"] = tag_ids
    return clean


def _audit(rule: RoutingRule, by, event: str, via: str, changes: dict | None = None) -> None:
    record_event(
        by.organization,
        event,
        obj=rule,
        actor=by.user,
        via=via,
        changes=changes or {"name": rule.name},
    )


@transaction.atomic
def create_routing_rule(organization, *, by, data: dict, via: str = "web") -> RoutingRule:
    """A new rule, last in the order."""
    require(by, Capability.MANAGE_TEAMS)
    clean = _clean_rule(organization, data)
    last = (
        RoutingRule.objects.for_org(organization)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    rule = RoutingRule.objects.create(
        organization=organization, position=(last or 0) + 1 if last is not None else 1, **clean
    )
    _audit(rule, by, "inbox.routing_rule_created", via, {k: str(v) for k, v in clean.items()})
    return rule


@transaction.atomic
def update_routing_rule(rule: RoutingRule, *, by, data: dict, via: str = "web") -> RoutingRule:
    """Change a rule's conditions and actions (fields absent from ``data`` keep their value)."""
    require(by, Capability.MANAGE_TEAMS)
    current = {
        "name": rule.name,
        "is_active": rule.is_active,
        "channels": rule.channels,
        "teams": rule.teams,
        "networks": rule.networks,
        "keywords": rule.keywords,
        "sentiments": rule.sentiments,
        "languages": rule.languages,
        "kinds": rule.kinds,
        "assign_team": rule.assign_team_id,
        "assign_to": rule.assign_to_id,
        "priority": rule.priority,
        "tags": rule.tags,
    }
    clean = _clean_rule(rule.organization, {**current, **data})
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.save()
    _audit(rule, by, "inbox.routing_rule_updated", via)
    if "position" in data:
        move_routing_rule(rule, by=by, position=data["position"], via=via)
    return rule


@transaction.atomic
def delete_routing_rule(rule: RoutingRule, *, by, via: str = "web") -> None:
    require(by, Capability.MANAGE_TEAMS)
    _audit(rule, by, "inbox.routing_rule_deleted", via)
    rule.delete()


@transaction.atomic
def move_routing_rule(rule: RoutingRule, *, by, position, via: str = "web") -> RoutingRule:
    """Put the rule at ``position`` (1 = first) and number the others 1, 2, 3 … around it."""
    require(by, Capability.MANAGE_TEAMS)
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise _invalid("position", _("Give a position: 1 is first.")) from None
    if position < 1:
        raise _invalid("position", _("Give a position: 1 is first."))
    rules = list(
        RoutingRule.objects.for_org(rule.organization_id)
        .select_for_update()
        .order_by("position", "pk")
    )
    others = [r for r in rules if r.pk != rule.pk]
    position = min(position, len(others) + 1)
    ordered = [*others[: position - 1], rule, *others[position - 1 :]]
    for i, r in enumerate(ordered, start=1):
        r.position = i
    RoutingRule.objects.for_org(rule.organization_id).bulk_update(ordered, ["position"])
    _audit(rule, by, "inbox.routing_rule_moved", via, {"position": position})
    return rule
