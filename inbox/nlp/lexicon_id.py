"""A small Indonesian sentiment word list (placeholder until a packaged lexicon is wired in)."""

ID_LEXICON: dict[str, float] = {
    "bagus": 2.0,
    "mantap": 2.5,
    "keren": 2.0,
    "suka": 1.5,
    "puas": 2.0,
    "enak": 2.0,
    "cepat": 1.0,
    "terima": 0.0,
    "makasih": 1.0,
    "kecewa": -2.5,
    "parah": -2.0,
    "jelek": -2.5,
    "lambat": -1.5,
    "lama": -1.0,
    "rusak": -2.5,
    "buruk": -2.5,
    "marah": -2.0,
    "nyesel": -2.0,
    "anjir": -1.0,
}
