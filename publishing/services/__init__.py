"""publishing's one door for state changes; the package keeps its sub-domains apart:

- ``publishing.posts.services``: posts, variants, localization, CSV import, content validation against each network
- ``publishing.scheduler.services``: schedule, publish now, cancel, retry, freezes; the worker's publish step
- ``publishing.media.services``: uploads validated by content, renditions with a focal point, the media library
- ``publishing.calendar.services``: moves on the calendar, notes, holidays, cadence targets, share links
  (used inside publishing; other apps get only ``seed_demo_calendar``, for ``manage.py seed_demo``)

Other apps import ``publishing.services`` (and ``publishing.selectors``) only; inside publishing a
sub-domain imports another's module directly.
"""

from publishing.calendar.demo import seed_demo_calendar  # noqa: F401
from publishing.media.services import *  # noqa: F403
from publishing.posts.services import *  # noqa: F403
from publishing.scheduler.services import *  # noqa: F403
