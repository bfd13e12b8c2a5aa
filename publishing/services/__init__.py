"""publishing's one door for state changes (the package keeps three rooms apart):

- ``authoring``: posts, variants, localization, CSV import, content validation against each network
- ``scheduling``: schedule, publish now, cancel, retry, freezes; the dispatcher and the worker's publish step
- ``media``: uploads validated by content, renditions with a focal point, the media library

Other apps import ``publishing.services`` (and ``publishing.selectors``) only.
"""

from .authoring import *  # noqa: F403
from .media import *  # noqa: F403
from .scheduling import *  # noqa: F403
