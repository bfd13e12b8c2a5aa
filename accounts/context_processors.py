from __future__ import annotations

from .capabilities import capabilities_of


def shell(request):
    """What the base layout needs: the current organization, the person's others, and capabilities."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .selectors import organizations_of

    membership = getattr(request, "membership", None)
    return {
        "current_org": getattr(request, "organization", None),
        "current_membership": membership,
        "caps": capabilities_of(membership),
        "my_orgs": list(organizations_of(user)),
    }
