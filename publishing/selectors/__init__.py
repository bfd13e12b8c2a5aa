"""publishing's one door for reads (see ``publishing.services`` for the sub-domains).

Other apps import ``publishing.selectors`` only; inside publishing a sub-domain imports another's
module directly.
"""

from publishing.calendar.selectors import holiday_countries_of, holiday_dates_by_team  # noqa: F401
from publishing.media.selectors import *  # noqa: F403
from publishing.posts.selectors import *  # noqa: F403
