from django import template

from ..kinds import kind_label

register = template.Library()


@register.simple_tag
def share_kind_label(kind: str) -> str:
    """What a link of ``kind`` is called ("Calendar share link")."""
    return kind_label(kind) if kind else ""
