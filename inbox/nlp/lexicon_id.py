"""Our own word lists for Indonesian sentiment, and the few emoji the packaged ranking gets wrong.

No package on the registry ships an Indonesian sentiment lexicon we can use (InSet has no licence;
``sensi`` is a Naive-Bayes model over pandas, NLTK and SQLAlchemy). So this is a word list of our
own, written from general knowledge of Indonesian shopping and service talk, NOT from the labelled
sample: valences on VADER's scale (-4 … 4), formal roots and their common informal forms (slang is
first mapped to formal Indonesian by indoNLP's Kamus Alay list, so the formal form is enough for
most words). English words inside Indonesian comments are scored by VADER's own lexicon.
"""

# fmt: off
ID_LEXICON: dict[str, float] = {
    # praise, satisfaction
    "bagus": 2.0, "baik": 1.5, "mantap": 2.5, "mantul": 2.5, "mantab": 2.5, "keren": 2.2,
    "suka": 1.8, "senang": 2.0, "seneng": 2.0, "gembira": 2.2, "puas": 2.3, "memuaskan": 2.5,
    "enak": 2.0, "lezat": 2.5, "nikmat": 2.0, "nagih": 2.0, "mantep": 2.5,
    "cepat": 1.2, "kilat": 1.5, "tepat": 1.0, "rapi": 1.5, "aman": 1.2, "awet": 1.8,
    "ramah": 2.0, "sopan": 1.8, "sabar": 1.5, "jujur": 1.8, "amanah": 2.0, "responsif": 1.5,
    "solutif": 1.8, "membantu": 1.8, "terbantu": 1.8, "berguna": 1.5, "bermanfaat": 1.8,
    "cantik": 2.0, "indah": 2.0, "lucu": 1.5, "imut": 1.5, "cakep": 2.0, "ganteng": 1.8,
    "nyaman": 1.8, "adem": 1.2, "lembut": 1.2, "lembap": 0.8, "lembab": 0.8, "wangi": 1.5,
    "segar": 1.5, "seger": 1.5, "bersih": 1.5, "murah": 1.0, "terjangkau": 1.2, "hemat": 1.0,
    "berkualitas": 2.0, "original": 1.0, "ori": 1.0, "asli": 0.5, "sesuai": 1.2, "pas": 1.0,
    "terbaik": 3.0, "juara": 2.5, "top": 2.0, "sempurna": 3.0, "luar": 0.0, "biasa": 0.0,
    "hebat": 2.5, "istimewa": 2.5, "rekomen": 2.0, "rekomendasi": 1.5, "recomended": 2.0,
    "terima": 0.0, "kasih": 1.5, "makasih": 1.5, "trims": 1.5, "thanks": 1.9, "thx": 1.5,
    "sukses": 2.0, "semangat": 1.5, "bangga": 2.0, "cinta": 2.5, "sayang": 1.5, "seru": 2.0,
    "asyik": 2.0, "asik": 2.0, "lancar": 1.5, "mudah": 1.2, "gampang": 1.0, "praktis": 1.2,
    "lumayan": 0.8, "oke": 1.0, "ok": 0.8, "sip": 1.5, "joss": 2.0, "jos": 2.0, "yeay": 2.0,
    "yey": 2.0, "horee": 2.0, "hore": 2.0, "alhamdulillah": 1.5, "beres": 1.5, "selamat": 1.5,
    "betah": 1.8, "ngebantu": 1.8, "bantu": 1.0, "mulus": 1.5, "kece": 2.0, "apik": 2.0,
    "laris": 1.0, "favorit": 1.8, "untung": 1.5, "beruntung": 2.0, "tenang": 1.0,
    # complaint, disappointment, anger
    "kecewa": -2.8, "mengecewakan": -2.8, "jelek": -2.5, "buruk": -2.5, "terburuk": -3.2,
    "parah": -2.2, "payah": -2.3, "rusak": -2.3, "cacat": -2.3, "sobek": -2.0, "robek": -2.0,
    "pecah": -2.0, "penyok": -1.8, "bocor": -2.0, "hancur": -2.5, "patah": -1.8, "copot": -1.8,
    "lambat": -1.8, "lama": -0.8, "lelet": -2.0, "lemot": -2.0, "telat": -1.8, "terlambat": -1.8,
    "marah": -2.5, "kesal": -2.3, "kesel": -2.3, "sebal": -2.0, "sebel": -2.0,
    "nyebelin": -2.3, "menyebalkan": -2.3, "benci": -2.8, "sedih": -2.0, "kapok": -2.5,
    "menyesal": -2.3, "nyesel": -2.3, "rugi": -2.2, "kerugian": -2.0, "mahal": -1.2,
    "kemahalan": -2.0, "hambar": -1.8, "basi": -2.5, "dingin": -0.8, "kotor": -2.0, "bau": -1.5,
    "jijik": -3.0, "menjijikkan": -3.0, "aneh": -1.2, "bekas": -1.5, "palsu": -2.8, "kw": -1.8,
    "penipu": -3.2, "penipuan": -3.2, "tipu": -3.0, "nipu": -3.0, "menipu": -3.0, "bohong": -2.8,
    "bohongan": -2.5, "abal": -2.5, "zonk": -2.5, "ngaco": -2.0, "mengaco": -2.0,
    "kasar": -2.3, "judes": -2.3, "jutek": -2.3, "sombong": -2.3, "cuek": -1.8, "galak": -2.0,
    "error": -2.0, "eror": -2.0, "gagal": -2.0, "hilang": -2.0, "ilang": -2.0, "salah": -1.8,
    "kurang": -1.2, "kekecilan": -1.8, "kebesaran": -1.8, "kemanisan": -1.5, "keasinan": -1.5,
    "lecet": -1.8, "luntur": -2.0, "ribet": -1.8, "repot": -1.5, "susah": -1.5, "sulit": -1.3,
    "ganggu": -1.8, "mengganggu": -2.0, "terganggu": -1.8, "berisik": -1.5, "lemah": -1.2,
    "percuma": -2.2, "sia": -1.0, "gaguna": -2.3, "mubazir": -1.8, "boros": -1.5,
    "komplain": -1.5, "keluhan": -1.5, "mengeluh": -1.5, "tolong": 0.0, "spam": -1.8,
    "kotak": 0.0, "kosong": -1.2, "jerawatan": -2.0, "gatal": -1.8, "gatel": -1.8,
    "alergi": -1.8, "sakit": -2.0, "pusing": -1.5, "capek": -1.5, "cape": -1.5, "lelah": -1.5,
    "mengerikan": -2.8, "ngeri": -1.8, "kacau": -2.3, "berantakan": -2.0, "asal": -1.0,
    "tutup": -0.5, "mati": -1.5, "cancel": -1.2, "kepotong": -1.5, "terpotong": -1.2, "buang": -1.5, "batal": -1.0, "dibatalkan": -1.2,
    "mengecewakannya": -2.8, "gila": 0.0, "anjir": -0.8, "anjing": -3.0, "bangsat": -3.5,
    "sialan": -3.0, "sial": -2.5, "brengsek": -3.5, "goblok": -3.0, "bodoh": -2.5, "tolol": -3.0,
}

# Words that raise the next (or previous) sentiment word's weight, as VADER's boosters do.
# "banget", "sekali", "parah", "pol", "gila" FOLLOW the word in Indonesian ("habis" is left out:
# "seru abis" is very fun but "cepet abis" runs out fast).
BOOSTERS_BEFORE: dict[str, float] = {
    "sangat": 0.3, "amat": 0.3, "terlalu": 0.3, "paling": 0.3, "super": 0.3, "sungguh": 0.25,
    "benar-benar": 0.3, "bener-bener": 0.3, "makin": 0.15, "semakin": 0.15, "lebih": 0.1,
    "agak": -0.2, "sedikit": -0.2, "lumayan": -0.1, "cukup": -0.1,
}
BOOSTERS_AFTER: dict[str, float] = {
    "banget": 0.3, "sekali": 0.3, "parah": 0.35, "pol": 0.3, "gila": 0.3, "bener": 0.2,
    "benar": 0.2, "jiwa": 0.2, "buanget": 0.35,
}

# A sentiment word within three words after one of these, in the same clause, is turned round
# ("tidak bagus"); English ones too, for mixed comments ("gak worth it", "not recommended sih").
ID_NEGATORS = frozenset({
    "tidak", "tak", "enggak", "nggak", "gak", "ga", "gk", "tdk", "ngga", "engga", "kagak", "ndak",
    "bukan", "belum", "blm", "jangan", "jgn", "tanpa", "gaada", "nggada",
})
EN_NEGATORS = frozenset({
    "not", "no", "never", "dont", "don't", "didn't", "doesn't", "isn't", "wasn't", "aren't",
    "won't", "cannot", "can't",
})
NEGATORS = ID_NEGATORS | EN_NEGATORS

# Service words that make a complaint when negated, though they are neutral alone:
# "belum sampai", "gak dibalas", "tidak ada jawaban".
NEGATED_COMPLAINT: dict[str, float] = {
    "sampai": -1.8, "datang": -1.5, "dibalas": -2.0, "dibales": -2.0, "balas": -1.5,
    "dibalas2": -2.0, "direspon": -2.0, "respon": -1.5, "diproses": -1.5, "dikirim": -1.2,
    "masuk": -1.2, "balik": -1.2, "kembali": -1.2, "jawaban": -1.8, "dilayani": -2.0,
    "bisa": -1.0, "berfungsi": -2.0, "nyala": -1.8, "dateng": -1.5, "dipake": -1.2,
    "dipakai": -1.2, "guna": -2.0, "ada": -0.6, "angkat": -1.2, "solutif": 0.0,
}

# "tapi" and friends: what comes after weighs more, what came before less (VADER's "but").
BUT_WORDS = frozenset({"tapi", "tetapi", "namun", "cuma", "but", "sayangnya", "padahal"})

# Emoji whose packaged ranking (tweets from 2013-2015) points the wrong way or too weakly for
# comments to a brand; valence on VADER's scale.
EMOJI_OVERRIDES: dict[str, float] = {
    "😡": -2.8, "🤬": -3.2, "😠": -2.5, "😤": -2.0, "👎": -2.0, "😞": -1.8, "😢": -1.8,
    "😭": -1.5, "💔": -2.0, "😒": -1.5, "🙄": -1.5, "😩": -1.8, "😫": -1.8, "🤮": -2.8,
    "🤢": -2.2, "😔": -1.5, "😓": -1.2, "🥰": 2.8, "🤩": 2.5, "🥳": 2.5, "🫶": 2.5,
    "🙏": 1.5, "👍": 2.0, "👌": 2.0, "😍": 2.8, "❤": 2.6, "🔥": 1.5, "💯": 2.0,
}
# fmt: on
