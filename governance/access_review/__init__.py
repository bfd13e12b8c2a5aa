"""Access reviews: who can do what on which channel, and campaigns in which team leads confirm it.

``selectors.access_matrix`` is the matrix (people × channels × capabilities, from
``channels_registry.selectors.effective_access``); ``services.start_review`` opens a campaign with
one :class:`~.models.ReviewItem` per person × channel they hold grants on in person, each with its
reviewer (the lead of the person's team, else an owner or admin); ``services.decide_items`` keeps or
removes (a removal revokes the grants at once through ``channels_registry``); ``services.close_review``
freezes the result as evidence; ``tasks.remind_reviewers`` nudges reviewers as the due date nears.
"""
