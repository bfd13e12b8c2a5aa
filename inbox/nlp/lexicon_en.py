"""Customer-service words VADER's lexicon lacks (it was built from general social text).

Our own short list, on VADER's scale (-4 … 4): what people say to a brand about orders,
deliveries, apps and stores. Added to a private copy of VADER's lexicon, never the shared one.
"""

# fmt: off
EN_SERVICE_WORDS: dict[str, float] = {
    "late": -1.5, "delayed": -1.5, "delay": -1.2, "slow": -1.5, "slower": -1.5, "overdue": -1.5,
    "damaged": -2.0, "crushed": -2.0, "dented": -1.5, "leaking": -1.8, "leaked": -1.8,
    "crash": -1.8, "crashes": -1.8, "crashing": -1.8, "crashed": -1.8, "buggy": -2.0,
    "glitch": -1.5, "laggy": -1.8, "freezes": -1.5, "overpriced": -2.0, "overcharged": -2.2,
    "scammed": -3.0, "scammers": -3.0, "ripoff": -2.8, "misleading": -2.2, "faded": -1.5,
    "expired": -1.8, "stale": -1.8, "tasteless": -2.0, "undercooked": -2.0, "soggy": -1.5,
    "unhelpful": -2.2, "unprofessional": -2.3, "unresponsive": -2.2, "ignored": -1.8,
    "ignoring": -1.8, "hung": -0.5, "lied": -2.5, "lying": -2.5, "refund": -0.3, "deducted": -1.0,
    "faulty": -2.2, "defective": -2.3, "wasted": -2.0, "unusable": -2.5, "spamming": -2.0,
    "unacceptable": -2.5, "rude": -2.3, "disappointing": -2.3, "gross": -2.3,
    "recommended": 1.8, "comfy": 1.8, "smoother": 1.5, "obsessed": 1.5, "restocked": 1.2,
    "delicious": 2.7, "tasty": 2.2, "yummy": 2.2, "friendly": 2.0, "polite": 1.8,
    "helpful": 2.0, "satisfied": 2.0, "quick": 1.0, "fast": 1.0, "faster": 1.0, "early": 0.5,
    "joke": -1.5, "joking": -1.0, "kidding": -1.0,
    # request words, polite rather than felt, in what people ask a brand
    "please": 0.0, "share": 0.0, "join": 0.0, "accept": 0.0, "want": 0.0, "giveaway": 0.0,
    "gorgeous": 2.8, "stunning": 2.8, "worth": 1.2, "legit": 1.5, "lovely": 2.8,
}
# fmt: on

# Service verbs that make a complaint when negated, though they are neutral alone ("never
# arrived", "nobody replied", "still not shipped"): the English twin of NEGATED_COMPLAINT.
EN_NEGATED_COMPLAINT: dict[str, float] = {
    "arrived": -1.8,
    "arrive": -1.8,
    "came": -1.5,
    "come": -1.2,
    "received": -1.8,
    "receive": -1.5,
    "replied": -2.0,
    "reply": -1.5,
    "replies": -1.5,
    "responded": -2.0,
    "respond": -1.5,
    "answered": -2.0,
    "answer": -1.5,
    "answers": -1.5,
    "responds": -1.5,
    "shipped": -1.5,
    "delivered": -1.5,
    "showed": -1.8,
    "fixed": -1.8,
    "processed": -1.5,
    "refunded": -1.8,
    "working": -1.8,
    "work": -1.5,
    "works": -1.5,
    "helped": -1.5,
    "called": -1.2,
}
EN_COMPLAINT_NEGATORS = frozenset({"nobody", "noone", "one"})  # "no one" reads as "one" after "no"
