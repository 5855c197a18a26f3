"""Crisis-language rules: the first stage of bot.crisis.detect. Pure Python, linear time.

Two steps. A cheap pre-filter (one regex of trigger stems plus one regex of "this text
looks obfuscated" signs) rejects ordinary chat in a few microseconds. Only texts that pass
are normalised (NFKD, look-alikes, leet, spacing, repeated letters) and matched against
clause-aware rules that know about negation, past tense, third parties and quoting.

Recall matters more than precision here: a missed crisis costs more than a kind message
sent to someone who did not need it. Every regex is written so that matching stays linear
(bounded repeats only, no nested quantifiers). The learned second stage
(bot/crisis/classifier.py) catches what these rules do not know; bot/crisis/detect.py
combines both.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_CHARS", "NO_CRISIS", "Detection", "detect", "detect_full", "prefilter_passes"]


@dataclass(frozen=True, slots=True)
class Detection:
    crisis: bool
    kind: str | None  # "suicide" | "self_harm" | "overdose" | None
    score: float  # 0.0..1.0
    lang: str | None  # "en" | "es" | "pt" | "fr" | "de" | None
    third_party: bool = False  # someone else is at risk: emergency number first
    # Which stage found the crisis: "rules", "model" or "both" (None: no crisis).
    stage: str | None = None


NO_CRISIS = Detection(crisis=False, kind=None, score=0.0, lang=None)

_THRESHOLD = 0.5
_MAX_HITS = 400  # matches examined per message; bounds the work on pathological input
_CTX = 60  # characters of context inspected either side of a match

# --------------------------------------------------------------------------- pre-filter
# The text is split into words; a word's first four letters (or the whole word if shorter)
# are looked up here. A bare key always sends the text on to the full analysis; a key with
# phrases does so only if one of them is in the text ("be here", not every "here").
# Every rule needs one of these in the un-normalised text; tests check that on the
# labelled set, and that the pre-filter never changes a verdict there.
# The text is split into words; a word's first four letters (or the whole word if shorter)
# are looked up here. An empty tuple always sends the text on to the full analysis; phrases
# do so only if one of them is in the text ("be here", not every "here"). Every rule needs
# one of these in the un-normalised text; tests check on the labelled set that the
# pre-filter never changes a verdict.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "kms": (), "suic": (), "sewe": (), "unal": (), "harm": (), "puni": (), "blee": (),
    "wris": (), "die": (), "died": (), "dies": (), "dyin": (), "dead": (), "deat": (), "live": (),
    "livi": (), "aliv": (), "exis": (), "wake": (), "waki": (), "cuts": (), "cutt": (),
    "od": (), "odd": (), "odin": (), "oded": (), "pill": (), "blue": (), "purp": (), "gray": (),
    "grey": (), "narc": (), "nalo": (), "unre": (), "jump": (), "born": (), "disa": (),
    "bott": (), "tabl": (), "meds": (), "xana": (), "fent": (), "oxy": (), "oxys": (), "oxyc": (),
    "perc": (), "benz": (), "tyle": (), "para": ("paracet",), "acet": (), "advi": (), "ibup": (),
    "ambi": (), "klon": (), "vali": (), "insu": (), "bars": (), "foam": (), "gone": (),
    "dese": (), "nobo": (), "mori": (), "muer": (), "muri": (), "mata": (), "vivi": (),
    "vivo": (), "viva": (), "desp": (), "cort": (), "dano": (), "heri": (),
    "past": ("pastill", "pastil"), "pild": (), "caps": ("capsul",), "azul": (), "mora": ("morad",),
    "dema": ("demasiad",), "desa": ("desaparec",),
    "ojal": (), "rivo": (), "clon": (), "alpr": (), "diaz": (), "lora": (), "somn": (),
    "endi": (),
    "disp": ("disparaitre pour toujours",), "mal": ("faire du mal", "fais du mal"),
    "pris": ("pris tout", "pris trop de", "pris une boite", "pris la boite"),
    "boit": ("toute la boite", "boite entiere", "une boite"),
    "brin": ("bringe mich", "bring mich", "bring mi ", "bringt sich"),
    "mato": ("me mato",), "joga": ("me jogar",),
    "atir": ("atirar",), "pula": ("vou pular", "quero pular"), "salt": ("saltar",),
    "tiro": ("tiro na",), "puls": ("pulsos",), "pens": ("suicida", "suicidio", "suicídio"),
    "mago": ("me magoar",), "quei": ("queimei", "queimar"),
    "inje": ("injetar",), "usei": (), "chei": ("cheirei",),
    "tue": (), "fout": ("foutre en l",),
    "bale": (), "ball": ("une balle",), "saut": ("sauter",), "crev": ("crever",),
    "veux": ("veux mourir", "veux plus vivre", "veux plus etre", "veux plus être"),
    "jveu": (), "veu": ("veu mourir",), "meri": ("mérite pas de vivre", "merite pas de vivre"),
    "muti": (), "tape": ("trop tap",),
    "pren": ("prendre tout",), "tot": ("tot sein",),
    "schl": ("schluss",), "ende": ("leben ein ende",), "spri": ("spring",), "zug": ("vor den zug",),
    "verb": ("verbrennt sich",), "pack": ("ganze packung",),
    "swer": (), "pist": (), "noos": (), "rope": ("rope is",),
    "gun": ("my gun", "the gun", "a gun", "s gun"), "rifl": (), "shot": ("shotgun",),
    "revo": ("revolver",), "need": ("t need it", "t need them", "t need anything", "t need any",
    "t need my", "not need it", "not need them", "not need anything"),
    "drin": ("drink myself", "drinking myself"), "usin": ("using myself",),
    "lips": (), "fing": ("fingers are", "fingers turning", "fingers going", "fingernails"),
    "face": ("face is", "face turning", "face going"), "skin": ("skin is", "skin turning"),
    "stas": ("stashing",), "stoc": ("stockpil",), "hoar": ("hoarding",),
    "savi": ("saving up",), "read": ("when i'm ready", "when im ready", "when i am ready"),
    # Portuguese, French, German
    "morr": (), "suiz": (), "selb": ("selbstmord", "selbst verletz"), "ster": ("sterben",),
    "umbr": ("umbring", "umbrng"), "uber": ("uberdos",), "surd": (), "mour": ("mourir",),
    "tuer": (),
    "vivr": (), "scar": ("scarif",), "ritz": ("ritze",), "sumi": ("sumir",), "azui": (),
    "aufw": ("aufwach",), "geri": ("geritzt",), "reme": ("remedio",), "comp": ("comprim",),
    "cach": ("cachet",), "pilu": (), "enfo": ("enforc",), "vive": ("viver",),
    "lebe": ("leben",), "mach": ("machuc",), "acor": ("acorda",), "atme": (),
    "wach": ("wacht nicht",), "reve": ("reveill",), "roxo": (), "roxa": (), "bleu": (),
    "blau": (), "aval": ("avale",), "geno": ("genommen",), "gesc": ("geschluckt",
    "geschnitten"), "schn": ("mich schneid", "schneide mich"), "verl": ("verletz",),
    "fini": ("finir",),
    "jour": ("mes jours",), "grun": ("grund",), "pend": ("me pend", "je me pends"),
    "coup": ("me couper", "me suis coup", "me coupe"),
    "brul": ("me brul", "me suis brul", "se brul"),
    "kill": (
        "kill my", "killing my", "killed my", "kills my", "kill-my", "kill him", "kill her",
        "kill them", "killing him", "killing her", "killing them",
    ),
    "cut": ("cut my", "cut again", "cut tonight", "cut last", "cut today", "to cut", "na cut"),
    "burn": ("burn my", "burning my", "burned my", "burnt my"),
    "hurt": ("hurt my", "hurting my"),
    "shoo": ("shoot my", "shooting my"),
    "drow": ("drown",),
    "slit": ("slit",),
    "hang": ("hang my", "hanging my"),
    "here": ("be here",),
    "arou": ("be around",),
    "end": ("end it", "end my", "end things", "end everything", "all to end", "it to end",
            "everything to end", "life to end"),
    "brid": ("on the bridge", "on a bridge", "on this bridge"),
    "ledg": ("on the ledge", "on a ledge", "on this ledge"),
    "life": ("take my", "taking my", "took my", "life itself"),
    "bett": ("better off",),
    "over": ("overdos", "be over"),
    "too": (
        "took too", "take too", "taken too", "taking too", "used too", "shot too", "snorted too",
        "popped too", "swallowed too",
    ),
    "brea": ("breath",),
    "resp": ("not resp", "n't resp", "nt resp", "no resp", "respira", "respire"),
    "reac": ("not react", "no reac"),
    "good": ("goodbye", "good bye"),
    "last": ("my last", "lastim"),
    "poin": ("no point", "point in", "point of", "point to"),
    "reas": ("reason",),
    "go": ("t go on", "not go on"),
    "goin": ("t keep going", "not keep going"),
    "fore": ("forever",),
    "hand": ("handful",),
    "take": ("take them all", "take all of them", "take all my", "take the whole"),
    "swal": ("swallow them", "swallow all", "swallow the whole"),
    "pain": ("painkil", "pain kil"),
    "cons": ("consci", "consigo respirar", "consigo ficar acordad", "consigo acordar"),
    "inco": ("inconsci",),
    "shou": ("be alive", "exist"),
    "step": ("step in front",),
    "thro": ("throw myself",),
    "hitt": ("hitting my",),
    "scra": ("scratching my",),
    "slee": ("sleep forever", "sleep and never"),
    "off": ("off my",),
    "offi": ("offing my",),
    "self": ("self harm", "self-harm", "self delete", "self-delete"),
    "noon": ("noone",),
    "wasn": ("wasn't here", "wasnt here", "wasn't around", "wasnt around"),
    "aqui": ("estar aqu",),
    "auto": ("autoles",),
    "cast": ("castigar",),
    "quem": ("quemar",),
    "medi": ("medicament", "medicina", "medicine", "medication"),
    "sobr": ("sobredos",),
    "quit": ("quitar",),
    "acab": ("acabar con", "acabar com"),

    "term": ("terminar con",),
    "mund": ("este mundo",),
    "mejo": ("mejor sin", "mejor muert"),
    "ahor": ("ahorcar",),
    "tira": ("tirarme", "tirar a minha", "tirar minha"),
    "pase": ("me pase",),
}
_WORD_TABLE = {c: " " for c in range(128) if not chr(c).isalpha()} | {ord("'"): None}
_NON_WORD = re.compile(r"[^a-z ]+")
# Signs of obfuscation: leet in words, spaced-out letters, tripled letters, double spaces.
# Such texts skip the word check and always get the full analysis.
_LEET_HINT = re.compile(
    r"[0-9@$|!](?:(?<=[a-z].)[0-9@$|!]*[a-z]|[a-z]{3}|(?<=[a-z]{3}[0-9@$|])(?![a-z0-9]))"
)
_SPACED_HINT = re.compile(r"[ .*_~-][a-z0-9@$][ .*_~-]{1,2}[a-z0-9@$][ .*_~-]")
_TRIPLE = re.compile(r"([a-z])\1\1")


def _worth_a_look(low: str) -> bool:
    words = low.translate(_WORD_TABLE)
    if not words.isascii():
        words = _NON_WORD.sub(" ", words)
    get = _TRIGGERS.get
    checked: set[str] = set()  # each key's phrases are searched once: linear time
    for word in words.split():
        key = word[:4]
        phrases = get(key)
        if phrases is None or key in checked:
            continue
        if not phrases or any(p in low for p in phrases):
            return True
        checked.add(key)
    return (
        "  " in low
        or "*" in low
        or "_" in low
        or "~" in low
        or "|" in low
        or _LEET_HINT.search(low) is not None
        or _SPACED_HINT.search(" " + low + " ") is not None
        or _TRIPLE.search(low) is not None
    )


# --------------------------------------------------------------------------- normalisation


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Combining marks (accents, zalgo) and invisible format characters vanish.
    for lo, hi in (
        (0x0300, 0x036F), (0x0483, 0x0489), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
        (0x20D0, 0x20FF), (0xFE20, 0xFE2F), (0x200B, 0x200F), (0x202A, 0x202E),
        (0x2060, 0x206F), (0xFE00, 0xFE0F), (0xE0000, 0xE007F), (0x180B, 0x180F),
    ):
        for cp in range(lo, hi + 1):
            table[cp] = None
    for cp in (0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFEFF, 0xFFA0):
        table[cp] = None
    # Letters that look Latin (Cyrillic, Greek, IPA, small capitals).
    looks = {
        "a": "аɑαᴀ", "b": "вЬьβʙ", "c": "сϲᴄ", "d": "ԁ", "e": "еёєεᴇ", "g": "ɡ",
        "h": "һнʜ", "i": "іїɩιıӏ", "j": "ј", "k": "кκᴋ", "l": "ʟ", "m": "мᴍ", "n": "ηп",
        "o": "оοσᴏօ", "p": "рρᴘ", "q": "ԛ", "r": "гʀ", "s": "ѕ", "t": "тτᴛ", "u": "υս",
        "v": "νᴠ", "w": "ԝωᴡ", "x": "хχ", "y": "уγ", "z": "ᴢ",
    }
    for latin, chars in looks.items():
        for ch in chars:
            table[ord(ch)] = latin
    for ch in "‘’‚‛′`´ʼ":
        table[ord(ch)] = "'"
    for ch in "“”„‟″«»":
        table[ord(ch)] = '"'
    for ch in "‐‑‒–—―−":
        table[ord(ch)] = "-"
    return table


_FOLD = _table()


def _fold(low: str) -> str:
    """Cheap Unicode fold of lower-cased text: compatibility forms, accents, look-alikes."""
    quick = low.translate(_FOLD)  # curly quotes, look-alikes, zero-width: often enough
    if quick.isascii():
        return quick
    return unicodedata.normalize("NFKD", quick).lower().translate(_FOLD)


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s", "|": "l", "!": "i"})
_MARKUP = re.compile(r"\|\||[^a-z0-9'\".,;:!?@$|\n -]+")
_NEWLINE = re.compile(r"\s*\n\s*")
_OD_DOTS = re.compile(r"\bo\.d\b\.?")
_SPACED = re.compile(r"(?<![a-z0-9@$])(?:[a-z0-9@$|][ .-]){2,}[a-z0-9@$|](?![a-z0-9@$])")
# Tokens mixing letters and leet characters; the lookbehind keeps the scan linear.
_LEET_TOKEN = re.compile(
    r"(?<![a-z0-9@$|!])[a-z0-9@$|!]*(?:[a-z][0-9@$|!]|[0-9@$|][a-z])[a-z0-9@$|!]*"
)
_REPEATS = re.compile(r"([a-z])\1+")
_SPACES = re.compile(r"[ \t\r\f\v-]+")
_NEUTRAL = re.compile(
    r"\b(?:im )?(?:not (?:gona|going to) lie|no lie|not kiding|not joking|no joke|"
    r"to be honest|tbh|ngl|no te voy a mentir)\b"
)


_NEUTRAL_WORDS = ("lie", "kid", "jok", "honest", "tbh", "ngl", "mentir")


def _join_spaced(m: re.Match[str]) -> str:
    return " " + re.sub(r"[ .-]", "", m.group()) + " "


def _unleet(m: re.Match[str]) -> str:
    tok = m.group()
    core = tok.rstrip("!")
    tail = " !" if len(core) < len(tok) else ""
    if core.isalpha() or not any(c.isalpha() for c in core):
        return core + tail
    return core.translate(_LEET) + tail


def _normalise(low: str) -> tuple[str, bool]:
    """Folded lower-case text -> canonical form used by the rules.

    Output: lower-case ASCII words separated by single spaces, sentence punctuation and
    double quotes kept, apostrophes dropped, every run of a repeated letter collapsed to
    one letter ("pills" -> "pils"; rules are compiled the same way). Also reports whether
    letter-spacing was undone, which enables the glued-word check.
    """
    s = _NEWLINE.sub(" . ", low) if "\n" in low else low
    if "o.d" in s:
        s = _OD_DOTS.sub("od", s)
    s = _MARKUP.sub(" ", s)
    spaced = _SPACED.search(s) is not None
    if spaced:
        s = _SPACED.sub(_join_spaced, s)
    if _LEET_HINT.search(s) or "!" in s:
        s = _LEET_TOKEN.sub(_unleet, s)
    if "od'd" in s:
        s = s.replace("od'd", "oded")  # "she od'd": an overdose, not "odd"
    s = s.replace("'", "")
    s = _REPEATS.sub(r"\1", s)
    s = _SPACES.sub(" ", s)
    if any(w in s for w in _NEUTRAL_WORDS):
        s = _NEUTRAL.sub(" . ", s)
    return s, spaced


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    lang: str
    weight: float
    # "self": first-person phrasing; "third": names someone else; "any": the subject doesn't
    # matter (a farewell to everyone); "either": the subject
    # decides (nearest pronoun/person); "strict": only with an explicit other person.
    who: str = "self"
    needs_recent: bool = False  # past-tense phrasing counts only with "tonight", "ayer"...
    default_third: bool = False  # "either" rule with no subject: "not breathing!! help"
    # A phrase that says the opposite ("je ne veux pas mourir"): a hit that is never a
    # crisis, but tells the classifier that the crisis words in it are negated.
    never: bool = False


def _collapse(src: str) -> str:
    """Compile-side twin of the text normalisation: single letters, optional spaces."""
    src = re.sub(r"(?<!\\)([a-z])\1+", r"\1", src)
    return src.replace(" ", " ?")


_PERSON_EN = (
    r"(?:friend|friends|bro|brother|sister|sis|mom|mum|mother|dad|father|son|daughter|"
    r"husband|wife|partner|boyfriend|girlfriend|bf|gf|roommate|flatmate|housemate|cousin|"
    r"kid|child|baby|uncle|aunt|buddy|mate|sponsee|sponsor|neighbor|neighbour|fiance|"
    r"fiancee|ex|coworker|niece|nephew|grandma|grandpa|guy|girl|man|woman|dude|person|"
    r"member|newcomer|boy|teen|lady)"
)
_SUBJ_EN = (
    rf"(?:he|hes|she|shes|they|theyre|someone|somebody|my (?:\w+ )?{_PERSON_EN}|"
    rf"(?:a|this|the|our|his|her) (?:\w+ )?{_PERSON_EN})"
)
_PERSON_ES = (
    r"(?:amigo|amiga|hermano|hermana|novio|novia|pareja|hijo|hija|madre|padre|mama|papa|"
    r"primo|prima|esposo|esposa|marido|mujer|companero|companera|compa|roomie|tio|tia|"
    r"vecino|vecina|padrino|madrina|ahijado|ahijada|chico|chica|hombre|tipo)"
)
_SUBJ_ES = rf"(?:el|ella|alguien|(?:mi|un|una|este|esta|el|la) {_PERSON_ES})"
_NOT_TOPIC = (
    r"(?! (?:prevention|awareness|hotline|helpline|line|lines|walk|rate|rates|statistics|"
    r"stats|training|month|week|day|survivors?|loss|research|talk|panel|group|meeting)\b)"
)
_DRUGS_EN = (
    r"(?:pils|pil|tablets|meds|medication|medicine|xanax|bars|oxys?|oxycodone|percs?|"
    r"fentanyl|tylenol|paracetamol|acetaminophen|advil|ibuprofen|benzos|klonopin|valium|"
    r"ambien|antidepresants|insulin|painkilers|pain kilers|sleeping pils|sleeping tablets|"
    r"opioids|heroin|them|it)"
)
_DRUGS_ES = (
    r"(?:pastilas|pildoras|tabletas|medicamentos|medicinas|capsulas|clonazepam|xanax|"
    r"alprazolam|fentanilo|paracetamol|ibuprofeno|rivotril|diazepam|lorazepam|somniferos|"
    r"heroina|cocaina)"
)
_SUICIDE, _SELF_HARM, _OVERDOSE = "suicide", "self_harm", "overdose"

_RULES: list[tuple[_Rule, str, str]] = [
    # ---- English: suicide
    (_Rule(_SUICIDE, "en", 0.9), "die",
     r"\b(?:want|wana|wanting|need|ready|deserve|wish i could|just want|i want) (?:to )?die\b"
     r"(?! (?:of|from|laughing|with laughter|than|inside|old|happy|sober|peacefuly|in my sleep"
     r" at|on this hill|a little)\b)"),
    (_Rule(_SUICIDE, "en", 0.9), "kil",
     r"\bkil(?:ing|s)? ?my ?self\b(?! (?:at|over|trying|working|studying|laughing|in the gym|"
     r"with work|to (?:get|make|finish|please|keep)|for (?!real|good))\b)"),
    (_Rule(_SUICIDE, "en", 0.8), "kms", r"\bkms\b"),
    (_Rule(_SUICIDE, "en", 0.85), "unaliv sewer self",
     r"\bunaliv(?:e|ing) ?my ?self\b|\bsewer ?slide\b|"
     r"\b(?:want|wana|going|gona|thinking about|wish i could) (?:to )?"
     r"(?:unalive|self delete|self-delete)\b"),
    (_Rule(_SUICIDE, "en", 0.85), "self",
     r"\b(?:want|wana|going|gona|about|thinking about|thinking of|plan|planning|could|should|"
     r"just|ready) (?:to )?off(?:ing)? my ?self\b"),
    (_Rule(_SUICIDE, "en", 0.9), "end",
     r"\bend(?:ing)? it al\b|\bend(?:ing)? (?:my|my own) life\b"),
    (_Rule(_SUICIDE, "en", 0.9), "life", r"\b(?:take|taking) my (?:own )?life\b"),
    (_Rule(_SUICIDE, "en", 0.75), "end",
     r"\b(?:want|wana|going|gona|ready|about|plan|planing|decided|thinking about|thinking of|"
     r"time) (?:to )?end(?:ing)? (?:it|things|everything)\b(?! (?:with|off|for (?:him|her|them|"
     r"us)|between|there|early|now with|al\b)\b)"),
    (_Rule(_SUICIDE, "en", 0.9), "suicid",
     r"\b(?:im|i am|feeling|feel|been|getting|get|so|really|very|pretty|kinda|kind of|"
     r"extremely|always|still|super|actively|passively|am i) suicidal\b|\bsuicidal again\b"),
    (_Rule(_SUICIDE, "en", 0.85), "suicid thoughts",
     r"\b(?:i have|i get|i keep getting|i keep having|im having|i am having|ive had|"
     r"ive been having|having|dealing with|struggling with|fighting) (?:some |realy |bad |"
     r"dark |intense |constant |a lot of |these |those )?(?:suicidal (?:thoughts|ideation|"
     r"urges|feelings)|thoughts (?:of|about) (?:suicide|kiling myself|dying|ending it|"
     r"ending my life))\b"),
    (_Rule(_SUICIDE, "en", 0.85), "suicid kil dying ending taking ofing hang",
     r"\b(?:thinking|think|thought|thoughts) (?:about|of) (?:suicide|kiling myself|dying|"
     r"ending it|ending my life|taking my (?:own )?life|ofing myself|hanging myself)\b"
     + _NOT_TOPIC),
    (_Rule(_SUICIDE, "en", 0.9), "suicid",
     r"\b(?:want|wana|going|gona|ready|about to|plan|planing|thinking about|tempted|"
     r"decided|might) (?:to )?(?:comit |atempt )?suicide\b" + _NOT_TOPIC
     + r"|\b(?:planing|plan|planed|planning out) (?:out )?my (?:suicide|death)\b"),
    (_Rule(_SUICIDE, "en", 0.7), "suicid",
     r"(?:^|[.!?] )suicidal\b(?! (?:thoughts are|people|ideation is|is|means|person)\b)"),
    (_Rule(_SUICIDE, "en", 0.85), "suicid kil end",
     r"\b(?:i|ive|i have|i just|just) (?:atempted|tried) (?:suicide|to kil myself|"
     r"to end (?:it|my life))\b"),
    (_Rule(_SUICIDE, "en", 0.85), "liv go wak",
     r"\b(?:no|no more|not a|not one|not any) (?:reason|reasons|point|purpose) (?:to|in|for) "
     r"(?:live|living|being alive|go on|going on|keep going|stay alive|staying alive|"
     r"wake up|waking up)\b(?! (?:to|back|with|like this|this way)\b)"),
    (_Rule(_SUICIDE, "en", 0.9), "liv", r"\bnothing (?:left )?to live for\b"),
    (_Rule(_SUICIDE, "en", 0.85), "liv", r"\b(?:not|isnt|no longer|aint) worth living\b"),
    (_Rule(_SUICIDE, "en", 0.85), "liv exist here wak around go",
     r"\b(?:dont|do not|no longer|dont even|dont realy) (?:want|wana|wish) (?:to )?"
     r"(?:live|be alive|exist|be here|wake up|be around(?= (?:anymore|any more|much longer)|"
     r" ?$| ?[.,!?;])|keep living|go on|stay alive)\b"
     r"(?! (?:like this|this way|that way|like that|in (?:fear|shame|active|my adiction|"
     r"this city|this town)|with|a lie|on|at|in this|for|if|until|so|alone|by myself|"
     r"without|near|around (?:him|her|them|people|drinkers|alcohol|drugs|users)|early|"
     r"before)\b)"),
    (_Rule(_SUICIDE, "en", 0.8), "liv exist here wak around go kep",
     r"\b(?:dont|do not) (?:think|know if|know that|feel like) i (?:want|wana|can) (?:to )?"
     r"(?:live|be alive|be here|go on|keep living|exist|stay alive)\b"
     r"(?! (?:like this|this way|at|in|with)\b)|\b(?:not sure|unsure|dont know) (?:if |that |"
     r"whether )?i (?:want|wana|can) (?:to )?(?:live|be alive|be here|go on|keep going|"
     r"keep living|exist|stay alive)\b(?! (?:to|back|with|like this|this way|at|in)\b)"),
    (_Rule(_SUICIDE, "en", 0.85), "dead die wak born exist disapear slep",
     r"\b(?:wish|wished|hope) (?:i (?:was|were|could be|would be) dead|i (?:could|would) "
     r"(?:just )?die|i (?:wouldnt|dont|didnt|never|wont) wake up|i (?:was|were|had) never "
     r"(?:been )?born|i didnt exist|i could disappear forever|i (?:could|would) (?:just )?"
     r"(?:fall asleep|sleep) (?:and never|forever)|i (?:could|would) (?:just )?go to sleep "
     r"(?:and never wake|forever))\b"),
    (_Rule(_SUICIDE, "en", 0.85), "beter",
     r"\bbetter of (?:dead|without me|if i (?:was|were|wasnt|died|disappeared)\b)"),
    (_Rule(_SUICIDE, "en", 0.8), "nobody one",
     r"\b(?:nobody|no one|noone) (?:would|wil|d|is going to|is gona) (?:care|notice|mis me) "
     r"if i (?:died|was gone|were gone|disappeared|kiled myself|wasnt here|wasnt around)\b"),
    (_Rule(_SUICIDE, "en", 0.75), "go liv kep",
     r"\b(?:cant|can not|cannot) (?:go on|kep living|go on living|live) (?:anymore|any more|"
     r"any longer|like this anymore)\b|\bcant go on living\b"),
    (_Rule(_SUICIDE, "en", 0.75), "liv life exist wak",
     r"\b(?:tired|sick|exhausted) of (?:living|being alive|life itself|existing|waking up)\b"
     r"(?! (?:in|with|at|like|here|paycheck|on|alone|under|next|by)\b)"),
    (_Rule(_SUICIDE, "en", 0.9), "jump step throw overdose pils",
     r"\b(?:want|wana|going|gona|about|thinking about|thinking of|plan|planing|ready) (?:to )?"
     r"(?:jump(?:ing)? (?:of|from) (?:a|the|my) (?:bridge|building|roof|rooftop|clif|"
     r"balcony|overpas|tower|window|parking garage)|(?:jump|step|throw myself)(?:ing)? in front"
     r" of|overdose on purpose|(?:take|swalow) al (?:of )?my pils)"),
    (_Rule(_SUICIDE, "en", 0.9), "hang slit shot jump",
     r"\bhang(?:ing)? myself\b|\bslit(?:ing)? my wrists?\b|\bshot(?:ing)? myself\b"
     r"(?! in the (?:fot|foot))|\bjump in front of (?:a |the )?(?:train|car|bus|truck|trafic)\b"),
    (_Rule(_SUICIDE, "en", 0.9), "note leter",
     r"\b(?:writing|wrote|write|writen|left|leaving|finished) (?:my |a )?(?:suicide|goodbye) "
     r"(?:note|leter)\b"),
    (_Rule(_SUICIDE, "en", 0.6, who="any"), "godbye mesage post",
     r"\b(?:this is (?:my )?goodbye|this is my last (?:mesage|post|night)|goodbye (?:forever|"
     r"cruel world)|my (?:final|last) (?:goodbye|mesage)|saying my (?:final )?goodbyes)\b"
     r"(?! (?:before|for|of|on|in|until|here for|til|to|about|leter|tonight)\b)"
     # Recovery farewells to a substance, and signing off for the night, are not goodbyes.
     r"(?! ?[,!]? ?(?:to )?(?:alcohol|boze|drinking|drink|drugs|weed|cigarettes|cigs|"
     r"smoking|nicotine|vaping|vape|cocaine|coke|meth|pils|gambling|heroin|opioids|"
     r"benzos|using|adiction)\b)"
     r"(?![^.!?]*\b(?:then|tonight|night al|bed|promise|tomorow)\b)"),
    (_Rule(_SUICIDE, "en", 0.8), "deserve shouldnt",
     r"\b(?:dont|do not) deserve to (?:live|be alive|exist)\b|\bshouldnt (?:be alive|exist)\b"),
    # Where someone is, with nothing after it: "i'm standing on the ledge right now".
    (_Rule(_SUICIDE, "en", 0.6), "bridge ledge",
     r"\b(?:im|i am)(?: (?:sitting|standing|siting))? on (?:the|a|this) (?:bridge|ledge) "
     r"(?:right now|now)(?= ?$| ?[.!?])"),
    (_Rule(_SUICIDE, "en", 0.8), "disapear",
     r"\b(?:want|wana|need|wish i could|just want) (?:to )?disapear (?:forever|for good|"
     r"permanently)(?= ?$| ?[.,!?;])"),
    (_Rule(_SUICIDE, "en", 0.75), "end over",
     r"\b(?:want|wana|need|wish|just want) (?:it al|everything|my life) to "
     r"(?:end|be over)(?= ?$| ?[.!?,]| (?:now|forever|for good|already)\b)"),
    (_Rule(_SUICIDE, "en", 0.8), "point reason",
     r"\b(?:dont|do not|cant|cannot|can not) see (?:any|the|a|much of a) (?:point|reason) "
     r"(?:in|to|of|for) (?:live|living|life|being alive|going on|staying alive|carying on|"
     r"waking up)\b|\bwhats the point (?:of|in) (?:living|being alive|going on)\b"),
    # "them" is the pills here, not a subject: who="any" keeps the subject rules off it.
    (_Rule(_SUICIDE, "en", 0.85, who="any"), "take swalow",
     # "them all" only counts when the pills were named just before; "all my meds" alone.
     r"(?:\b(?:pils|tablets|meds|medication|botle)\b[^.!?]{0,80}\b(?:im|i am|i m|i)(?: just)? "
     r"(?:going|gona|about|want|wana|ready|planing) to (?:take|swalow) (?:them al|al of them)"
     r"|\b(?:im|i am|i m|i)(?: just)? (?:going|gona|about|want|wana|ready|planing) to "
     r"(?:take|swalow) (?:al (?:of )?(?:my|the|these|those) (?:pils|tablets|meds|medication)|"
     r"the (?:whole|entire) (?:botle|pack|box|packet)))"
     r"(?= ?$| ?[.,!?;]| at once| tonight| right now)"
     # Taking medication as prescribed is not.
     r"(?![^.!?]*\b(?:prescribed|dose|doctor|then|breakfast|lunch|dinner|morning|down)\b)"),
    (_Rule(_SUICIDE, "en", 0.6), "go kep",
     r"\b(?:i )?(?:cant|cannot|can not) (?:go on|kep going)(?: like this)?(?: anymore| any "
     r"longer)?(?= ?$| ?[.,!?;])"),
    (_Rule(_SUICIDE, "en", 0.8), "slep",
     r"\b(?:want|wana) to (?:sleep|go to sleep) (?:forever|and never wake up|"
     r"and not wake up)\b"),
    (_Rule(_SUICIDE, "en", 0.8, needs_recent=True), "die kil end",
     r"\b(?:wanted|needed|tried) (?:to )?(?:die|kil myself|end it al|end my life)\b"),
    (_Rule(_SUICIDE, "en", 0.85), "kiled ended took",
     r"\b(?:almost|nearly) (?:kiled myself|ended it|ended my life|took my (?:own )?life)\b"
     r"(?! (?:laughing|on|falling|triping|with|in (?:a|the)|driving|cycling|skiing)\b)"),
    (_Rule(_SUICIDE, "en", 0.85, who="third"), "suicid die kil end",
     rf"\b{_SUBJ_EN} (?:is |s |are |re |keps |kep |said |says |just )?(?:suicidal|"
     r"(?:wants|want|wanting|going|gona|trying|threatening|talking about|planing) (?:to )?"
     r"(?:die|kil(?:ing)? (?:himself|herself|themselves|themself)|end(?:ing)? (?:it al|"
     r"his life|her life|their life)|comit suicide))\b"),
    # The misses listed in issue #12: plans, means, farewells, passive wishes.
    (_Rule(_SUICIDE, "en", 0.85), "ready",
     r"\b(?:meds|pils|tablets|medication|rope|gun|pistol|razor|blades?)\b[^.!?]{0,40}"
     r"\bfor when im ready\b|\b(?:stashing|stockpiling|hoarding|saving up) (?:my |the |some )?"
     r"(?:meds|pils|tablets|medication|painkilers|sleeping pils)\b(?! for (?:the trip|travel))"),
    (_Rule(_SUICIDE, "en", 0.85), "swerv traffic",
     r"\b(?:swerve|swerving|drive|driving|steer|steering|crash|crashing) (?:my car |the car )?"
     r"(?:into|in front of) (?:oncoming traffic|traffic|a (?:tree|wall|truck|semi|bridge)|"
     r"the (?:median|barier|wall|river|guardrail))\b"),
    (_Rule(_SUICIDE, "en", 0.85), "nose rope",
     r"\b(?:the |a |my )?(?:nose|rope) is (?:already )?(?:up|tied|ready|hanging)\b|"
     r"\b(?:tied|tying|made|making|bought) (?:a |the )?nose\b"),
    (_Rule(_SUICIDE, "en", 0.85), "gun pistol rifle shotgun",
     r"\b(?:keep|kept|been|cant stop|im) (?:looking at|staring at|holding|thinking about|"
     r"touching) (?:my |the |a )?(?:\w+s )?(?:gun|pistol|rifle|shotgun|revolver)\b"),
    (_Rule(_SUICIDE, "en", 0.85), "wake",
     r"\bwish i (?:just )?(?:wouldnt|didnt|would not|did not|wont|will not|could not|"
     r"couldnt|never|dont) wake up\b|\bhope i (?:dont|do not|never|wont) wake up\b"),
    (_Rule(_SUICIDE, "en", 0.85), "reason",
     r"\b(?:cant|cannot|dont|do not|cant even|struggling to) (?:find|se|think of|come up with|"
     r"have) (?:a|one|any|a single) (?:good )?reason to (?:stay alive|live|keep living|go on|"
     r"be here|stay|keep going|be alive)\b"),
    (_Rule(_SUICIDE, "en", 0.8, who="any"), "ned",
     r"\b(?:wont|will not|am not going to|im not going to|not gona) ned (?:it|them|anything|"
     r"any of (?:this|it|my stuf|these)|my stuf|my things) (?:son|anymore|any more|much longer|"
     r"after (?:tonight|today|this week)|where im going)\b"),
    (_Rule(_OVERDOSE, "en", 0.85), "drink death grave",
     r"\b(?:drink|drinking|use|using|party|partying) my ?self (?:to death|into (?:the |an "
     r"(?:early )?)?grave)\b"),
    # ---- English: self-harm
    (_Rule(_SELF_HARM, "en", 0.85), "harm burn hit scratch",
     r"\b(?:ive been|i have been|been|im|i am|started|start|kep|kept|currently|back to|"
     r"went back to|relapsed on|relapsed into|relapse on|still) (?:self ?harming|self ?harm|"
     r"burning myself|hiting myself|scratching myself)\b"),
    (_Rule(_SELF_HARM, "en", 0.85), "cuting",
     r"\b(?:ive been|i have been|been|im|i am|started|start|kep|kept|currently|back to|"
     r"went back to|relapsed on|still) cuting\b(?! (?:back|down|out|of|ties|corners|costs|"
     r"clas|clases|scho|it|the|a|an|my (?:hair|nails|loses|budget|hours|spending)|through|"
     r"in|up|lose|weight|carbs|sugar|cofe|people|everyone|him|her|them|alcohol|drinking|"
     r"caffeine|meat|dairy|gluten|and pasting|paper|wood|onions|veg)\b)"),
    (_Rule(_SELF_HARM, "en", 0.9), "cut",
     r"\bcut(?:ing|s)? (?:myself|my (?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?|body))"
     r"\b(?! (?:shaving|by acident|acidentaly|on|cooking|while|with a (?:can|paper))\b)"),
    (_Rule(_SELF_HARM, "en", 0.85), "cut", r"\bcut (?:again|tonight|last night|today)\b"),
    (_Rule(_SELF_HARM, "en", 0.85), "cut harm hurt burn punish bled",
     r"\b(?:urge|urges|want|wana|wanting|tempted|need|going|gona|craving|itching) (?:to )?"
     r"(?:cut|self ?harm|hurt myself|harm myself|burn myself|punish myself|bleed)\b"
     r"(?! (?:back|down|out|of|ties|corners|costs|the|my hair|it|in|up|lose|class|clas|"
     r"caffeine|sugar|carbs|people|him|her|them|through|and|a|an)\b)"),
    (_Rule(_SELF_HARM, "en", 0.75), "myself",
     r"\b(?:hurting|harming|burning|punishing|hiting|scratching) myself\b"
     r"(?! (?:by|with (?:work|fod)|emotionaly)\b)"),
    (_Rule(_SELF_HARM, "en", 0.85), "myself",
     r"\b(?:hurt|harmed|burned|burnt) myself (?:again|on purpose|tonight|last night|today)\b"),
    (_Rule(_SELF_HARM, "en", 0.85), "harm",
     r"\bself ?harm(?:ed|ing)? (?:again|tonight|last night|today|urges|relapse)\b|"
     r"\b(?:i|ive|i have|i just|just) (?:self ?harmed|relapsed (?:on|with|into) self ?harm)\b"),
    # ---- English: overdose
    (_Rule(_OVERDOSE, "en", 0.9), "od",
     r"\b(?:going to|gona|want to|wana|plan to|planing to|about to|ready to|trying to|"
     r"might|wil) od\b(?! on (?:cofe|coffee|sugar|candy|chocolate|caffeine|netflix|memes)\b)"),
    (_Rule(_OVERDOSE, "en", 0.85, who="either"), "blue purple gray grey",
     r"\b(?:lips|fingers|fingernails|nails|face|skin) (?:are |is |r )?(?:going|turning|getting|"
     r"look|looking|gone|turned)? ?(?:blue|purple|gray|grey)\b"),
    (_Rule(_OVERDOSE, "en", 0.9), "od overdos",
     r"\b(?:i think i|i think im|i might be|i might have|i may have|im|i am|i|ive|"
     r"think im|think i)(?: just)? (?:overdosing|overdosed|oding|od ing|oded|od)\b"),
    (_Rule(_OVERDOSE, "en", 0.9, who="third"), "od overdos",
     rf"\b{_SUBJ_EN} (?:is |s |are |re |just |has |might have |may have |might be |"
     r"probably )?(?:overdosing|overdosed|oding|oded|od ing|overdose)\b"),
    (_Rule(_OVERDOSE, "en", 0.9, who="either", default_third=True), "od overdos",
     r"\b(?:is|s|are|re|be|keps) (?:overdosing|oding|od ing)\b"),
    (_Rule(_OVERDOSE, "en", 0.8, who="either"), "many much",
     r"\b(?:took|take|taken|taking|swalowed|poped|used|shot|snorted) (?:way |far |a lot |"
     r"much |so much )?to (?:many|much)\b(?! (?:time|credit|on|of (?:a|my|the) (?:time|day)|"
     r"days|shifts|breaks|hours|clases|selfies|pictures|photos|notes|risks|chances|naps|"
     r"responsibility|fod|cofe|caffeine|sugar|salt|money|candy|cake|pizza|tv|sun|vitamins|"
     r"work|stres|advice|space|time of)\b)"),
    (_Rule(_OVERDOSE, "en", 0.85, who="either"), "took swalow poped downed ate",
     r"\b(?:took|swalowed|poped|downed|ate|took the rest of) (?:al (?:of )?(?:my |the |those |"
     r"these |his |her )?|a (?:whole |ful |entire )?(?:botle|handful|bunch|box|pack|strip|lot)"
     r" of (?:my |the |those |these )?|the (?:whole|entire) (?:botle|box|pack|strip) of "
     r"(?:my |the )?|(?:like |about |over |around )?(?:[1-9]\d+|twenty|thirty|forty|fifty|"
     r"a hundred|dozens of|a dozen) (?:of (?:my |the |those |these )?)?)(?:\w+ )?"
     + _DRUGS_EN + r"\b(?! (?:today|this morning|on time|as prescribed|for the day|"
     r"for today|like (?:a|i)|with fod)\b)"),
    (_Rule(_OVERDOSE, "en", 0.9, who="either", default_third=True), "breath",
     r"\b(?:isnt|is not|not|aint|stoped|barely|hardly) breathing\b"
     r"(?! (?:right|properly|wel|normaly|through)\b)"),
    (_Rule(_OVERDOSE, "en", 0.85, who="either", default_third=True), "wak",
     r"\b(?:wont|wil not|cant|can not|cannot|couldnt|doesnt|dont|isnt|not) (?:wake|waking) "
     r"(?:up|him|her|them)(?: up)?\b(?! (?:until|til|before|early|on time|for (?:work|scho|"
     r"clas)|in the morning|at|when|tomorow|anymore in)\b)"),
    (_Rule(_OVERDOSE, "en", 0.85, who="strict"), "blue purple gray grey",
     r"\b(?:turning|turned|going|gone|lips are|lips (?:look|turning|turned)|face is|"
     r"face (?:turning|turned)|skin is) (?:blue|purple|gray|grey)\b"),
    (_Rule(_OVERDOSE, "en", 0.85, who="strict"), "respon react",
     r"\b(?:unresponsive|not responding|wont respond|isnt responding|not responsive|"
     r"not reacting)\b"),
    (_Rule(_OVERDOSE, "en", 0.85, who="either", default_third=True), "cant foam",
     r"\bcant get (?:him|her|them) to (?:wake|respond|breathe)\b|\bfoaming at the mouth\b"),
    (_Rule(_OVERDOSE, "en", 0.8, who="third"), "narcan naloxone",
     r"\b(?:need|neds|giving|gave|give|administered|do i give|should i give|wheres the|"
     r"where is the|hit (?:him|her|them) with) (?:him |her |them |some |the |a |my )?"
     r"(?:narcan|naloxone)\b(?! (?:training|clas|kits? (?:for|at|are)|is available|workshop|"
     r"at the|for fre|near me|for (?:my|the|our) (?:kit|car|house|home|bag|meting|group))\b)"),
    # ---- Spanish: suicide
    (_Rule(_SUICIDE, "es", 0.8), "desaparecer",
     r"\b(?:quiero|quisiera|solo quiero|ojala pudiera|necesito) desaparecer\b(?! (?:de (?:las "
     r"redes|instagram|facebok|twiter|tiktok|aqui un rato|la fiesta|este grupo|este chat)|"
     r"un rato|unos dias|un fin de semana|del grupo|del chat|del trabajo)\b)"),
    (_Rule(_SUICIDE, "es", 0.9), "morir",
     r"\b(?:me )?(?:quiero|quisiera|necesito) (?:morir|morirme)\b(?! de (?:la )?(?:risa|"
     r"verguenza|hambre|sueno|calor|frio|ganas|envidia|amor|aburimiento|cansancio|pena))"),
    (_Rule(_SUICIDE, "es", 0.9), "ganas",
     r"\btengo ganas de (?:morir|morirme|matarme|suicidarme|desaparecer para siempre|"
     r"no despertar)\b(?! de (?:risa|verguenza|hambre))"),
    (_Rule(_SUICIDE, "es", 0.9), "suicidar matar",
     r"\bme (?:quiero|voy a|vas a|pienso|voy) (?:suicidar|matar)\b(?! (?:de (?:risa|hambre)|"
     r"estudiando|trabajando|en el gym|en el gimnasio|de tanto)\b)"),
    (_Rule(_SUICIDE, "es", 0.9), "suicid matar quitar acabar terminar ahorcar tirar venas",
     r"\b(?:quiero|voy a|pienso|pensando en|pienso en|ganas de|he pensado en|intente|"
     r"intentar|estoy por|a punto de|decidi) (?:suicidarme|matarme|quitarme la vida|"
     r"acabar con (?:mi vida|todo)|terminar con (?:mi vida|todo)|ahorcarme|tirarme (?:de|del|"
     r"por|desde) (?:un|el|la) (?:puente|edificio|balcon|techo|azotea|ventana)|"
     r"cortarme las venas)\b(?! (?:el|lo|de (?:risa|hambre)|estudiando|trabajando)\b)"),
    (_Rule(_SUICIDE, "es", 0.85), "viv aqui exist despert mundo",
     r"\b(?:no|ya no) (?:quiero|deseo|puedo seguir|aguanto) (?:vivir|seguir viviendo|viviendo|"
     r"estar aqui|estar vivo|estar viva|existir|despertar(?:me)?|seguir aqui|seguir con vida|"
     r"estar en este mundo)\b(?! (?:asi|de esta manera|de esa forma|con (?:miedo|verguenza)|"
     r"en (?:esta|mi) adicion|con el|con ela|mas asi|aqui en|en esta ciudad)\b)"),
    (_Rule(_SUICIDE, "es", 0.85), "viv",
     r"\bno tengo (?:ninguna )?(?:razon|razones|motivo|motivos|ganas) (?:para|de) "
     r"(?:vivir|seguir viviendo|seguir vivo|seguir viva)\b"),
    (_Rule(_SUICIDE, "es", 0.75), "vale",
     r"\bno vale la pena vivir\b|\bla vida no vale la pena\b|\bmi vida no vale nada\b"),
    (_Rule(_SUICIDE, "es", 0.85), "muert sin",
     r"\bestaria mejor (?:muerto|muerta)\b|\bmejor (?:muerto|muerta)\b|"
     r"\b(?:todos|el mundo|mi familia|estarian) (?:estarian|estaria|mejor) (?:mejor )?sin mi\b"),
    (_Rule(_SUICIDE, "es", 0.85), "ojala",
     r"\bojala (?:me muriera|estuviera muerto|estuviera muerta|no despertar|no despertara|"
     r"no hubiera nacido|me muera|morirme|desaparecer)\b"),
    (_Rule(_SUICIDE, "es", 0.85), "pensamientos ideas",
     r"\b(?:tengo|he tenido|estoy teniendo|vuelvo a tener|sigo teniendo|me vienen|me llegan)"
     r" (?:\w+ )?(?:pensamientos|ideas) (?:suicidas|de (?:suicidio|matarme|quitarme la vida))\b"),
    (_Rule(_SUICIDE, "es", 0.9), "suicida", r"\b(?:soy|estoy|me siento) suicida\b"),
    (_Rule(_SUICIDE, "es", 0.8), "mundo desapare exist quitar",
     r"\b(?:me quiero|quiero) (?:ir de este mundo|desaparecer para siempre|dejar de existir)\b"
     r"|\bme (?:voy a|quiero|pienso) quitar la vida\b"),
    (_Rule(_SUICIDE, "es", 0.8), "despedida suicida",
     r"\bmi carta de despedida\b|\bcarta suicida\b"),
    (_Rule(_SUICIDE, "es", 0.85, who="third"), "matar suicid morir",
     rf"\b{_SUBJ_ES} (?:se quiere (?:matar|suicidar|morir)|quiere (?:suicidarse|matarse|"
     r"morirse|morir)|dice que se va a (?:matar|suicidar)|esta pensando en (?:suicidarse|"
     r"matarse)|amenaza con (?:suicidarse|matarse)|se va a (?:matar|suicidar))\b"),
    # ---- Spanish: self-harm
    (_Rule(_SELF_HARM, "es", 0.8), "corte cortando cortar cortes lastim dano autoles",
     r"\bme (?:corte|estoy cortando|sigo cortando|volvi a cortar|he cortado|"
     r"hice cortes|lastime|lastimo|estoy lastimando|hago dano|hice dano|he hecho dano|"
     r"autolesione|autolesiono)\b(?! (?:(?:el|mi|un poco el) (?:pelo|cabelo|flequilo|barba|"
     r"dedo|unas)|cocinando|sin querer|afeitandome|por acidente|jugando|entrenando|"
     r"en la cocina|en (?:la|el|mi|los|las) (?:rodila|rodilas|espalda|pie|pies|mano|manos|"
     r"tobilo|hombro|cuelo|dedo|gym|gimnasio|partido|trabajo))\b)"),
    (_Rule(_SELF_HARM, "es", 0.85), "cortar dano lastim autoles quemar herir castigar",
     r"\b(?:volvi a|sigo|quiero|ganas de|necesito|voy a|impulso de|he vuelto a) "
     r"(?:cortarme|hacerme dano|lastimarme|autolesionarme|quemarme|herirme|castigarme)\b"
     r"(?! (?:el|la|los)\b (?:pelo|cabelo|flequilo|barba|unas|puntas))"),
    (_Rule(_SELF_HARM, "es", 0.85), "recai autoles",
     r"\b(?:recai en|recaida en|recai con) (?:cortarme|la autolesion|autolesionarme|"
     r"hacerme dano|lastimarme)\b|\b(?:estoy|sigo|volvi a|vuelvo a) autolesion\w*"),
    # ---- Spanish: overdose
    (_Rule(_OVERDOSE, "es", 0.85, who="either"), "tome trage meti consumi tomo trago",
     r"\b(?:me |se )?(?:tome|trague|meti|consumi|tomo|trago) (?:demasiadas?|muchas?|"
     r"un monton de|todas? (?:la|las|mis|sus)|una caja (?:entera )?de|un frasco (?:entero )?"
     r"de|un bote (?:entero )?de|un blister de|[1-9]\d+) " + _DRUGS_ES + r"\b"),
    (_Rule(_OVERDOSE, "es", 0.8), "pase", r"\bme pase con (?:las pastilas|la dosis|el fentanilo|"
     r"la heroina)\b"),
    (_Rule(_OVERDOSE, "es", 0.9), "sobredosis",
     r"\b(?:tengo|estoy teniendo|me dio|creo que tengo|creo que es|tuve) una sobredosis\b"),
    (_Rule(_OVERDOSE, "es", 0.6), "estoy",
     r"\bme estoy (?:sobredosificando|muriendo)\b(?! de| del| por)"),
    (_Rule(_OVERDOSE, "es", 0.9, who="third"), "sobredosis",
     rf"\b{_SUBJ_ES} (?:tuvo|tiene|esta teniendo|le dio|creo que tiene|creo que tuvo) "
     r"una sobredosis\b"),
    (_Rule(_OVERDOSE, "es", 0.9, who="either", default_third=True),
     "respira reaciona despiert despertar",
     r"\bno (?:respira|esta respirando|reacciona|despierta|se despierta|puedo despertarl[oa]|"
     r"logro despertarl[oa])\b"),
    (_Rule(_OVERDOSE, "es", 0.85, who="either", default_third=True), "azul morad gris",
     r"\b(?:se (?:esta poniendo|puso|ve)|tiene los labios|tiene la cara) (?:azul|morad[oa]|"
     r"gris|azules|morados)\b"),
    (_Rule(_OVERDOSE, "es", 0.85, who="strict"), "responde",
     r"\bno responde\b(?! (?:a |mis |el |los |las |al |mi |el telefono)\b)"),
    (_Rule(_OVERDOSE, "es", 0.8, who="either", default_third=True), "inconsciente naloxona narcan",
     r"\b(?:esta|quedo|se quedo) inconsciente\b|\bnecesito (?:naloxona|narcan)\b"),
    # ---- Portuguese, French, German: explicit statements, plans, overdose (a floor under
    # the classifier; the same negation and past-tense checks apply)
    (_Rule(_SUICIDE, "pt", 0.9), "morer matar suicid tirar acabar enforcar",
     r"\b(?:eu )?(?:quero|vou|preciso|penso em|pensando em|decidi|estou pensando em|tenho vontade"
     r" de|vontade de|vou me|quero me) (?:morrer|me matar|matar me|me suicidar|suicidar me|"
     r"tirar (?:a )?minha (?:propria )?vida|acabar com (?:a )?minha vida|acabar com tudo|"
     r"me enforcar|pular da ponte|sumir para sempre)\b(?! de (?:rir|fome|vergonha|sono|calor|"
     r"frio|saudade|tedio|cansaco))"),
    (_Rule(_SUICIDE, "pt", 0.85), "viver viva vivo acordar",
     r"\bnao (?:quero|aguento|consigo) mais (?:viver|continuar vivo|continuar viva|acordar|"
     r"estar aqui)\b|\bnao quero (?:viver|acordar amanha|estar vivo|estar viva)\b|"
     r"\b(?:nenhum|nenhuma) (?:motivo|razao) para (?:viver|continuar)\b"),
    (_Rule(_SUICIDE, "pt", 0.85, who="third"), "matar suicid morer",
     r"\b(?:ele|ela|meu \w+|minha \w+) (?:disse que )?(?:vai se matar|quer se matar|quer morrer|"
     r"vai se suicidar|quer se suicidar|esta pensando em se matar)\b"),
    (_Rule(_SELF_HARM, "pt", 0.8), "cortar cortei cortando machuc",
     r"\b(?:me cortei|me cortar|estou me cortando|voltei a me cortar|quero me cortar|"
     r"vou me cortar|me machucar|me machuquei de proposito)\b(?! (?:o|a|os|as) (?:cabelo|"
     r"franja|barba|unhas|dedo)\b)"),
    (_Rule(_OVERDOSE, "pt", 0.85, who="either"), "tomei tomou engoli",
     r"\b(?:tomei|tomou|engoli|engoliu) (?:todos os|todas as|uma caixa (?:inteira )?de|"
     r"um frasco (?:inteiro )?de|a cartela (?:inteira )?de|muitos|muitas|demais)"
     r"(?: \w+)?(?: (?:comprimidos|remedios|pilulas|calmantes))?\b"),
    (_Rule(_OVERDOSE, "pt", 0.9, who="either"), "overdose",
     r"\b(?:tendo|teve|tive|tenho|vou ter|quero ter|tomar) uma overdose\b|\bvou (?:ter )?"
     r"(?:uma )?overdose\b"),
    (_Rule(_OVERDOSE, "pt", 0.9, who="either", default_third=True), "respira acorda roxo azul",
     r"\bnao (?:esta respirando|respira|acorda|reage)\b|\b(?:labios|boca|rosto) "
     r"(?:roxos?|roxas?|azuis?)\b"),
    (_Rule(_SUICIDE, "fr", 0.9), "mourir tuer suicid finir vie jours",
     r"\b(?:je )?(?:veux|vais|voudrais|compte|pense a|envie de|jai envie de|prefererais) "
     r"(?:mourir|me tuer|me suicider|en finir|mettre fin a mes jours|mettre fin a ma vie|"
     r"sauter du pont|me pendre|disparaitre pour toujours)\b(?! de (?:rire|faim|honte|chaud|"
     r"froid|fatigue|ennui))"),
    (_Rule(_SUICIDE, "fr", 0.9, never=True), "mourir tuer suicid finir",
     r"\bne (?:veux|vais|voudrais|compte|pense) (?:pas|jamais|plus jamais|surtout pas) "
     r"(?:mourir|me tuer|me suicider|en finir)\b"),
    (_Rule(_SUICIDE, "fr", 0.85), "vivre vie reveiller",
     r"\bje ne veux plus (?:vivre|me reveiller|etre la|exister)\b|\bplus envie de vivre\b|"
     r"\baucune raison de (?:vivre|rester)\b"),
    (_Rule(_SUICIDE, "fr", 0.85, who="third"), "tuer suicid mourir",
     r"\b(?:il|elle|mon \w+|ma \w+) (?:dit qu(?:il|elle) )?(?:va se tuer|veut se tuer|"
     r"veut mourir|va se suicider|veut se suicider|pense a se suicider)\b"),
    (_Rule(_SELF_HARM, "fr", 0.8), "scarif couper coupe bruler",
     r"\b(?:je me (?:suis )?(?:scarifie|scarifiee|scarifier|coupe|coupee|brule|brulee)|"
     r"me scarifier|me couper|me faire du mal|je me fais du mal)\b(?! (?:les|le|la) (?:cheveux|"
     r"frange|barbe|ongles|doigt)\b)(?! en (?:cuisinant|me rasant))"),
    (_Rule(_OVERDOSE, "fr", 0.85, who="either"), "pris avale",
     r"\b(?:jai|il a|elle a|a) (?:pris|avale) (?:toute la boite|toutes les|tous les|une boite "
     r"(?:entiere )?de|la boite entiere de|trop de)(?: \w+)?(?: (?:cachets|comprimes|pilules|"
     r"medicaments|somniferes))?\b"),
    (_Rule(_OVERDOSE, "fr", 0.9, who="either"), "overdose surdose",
     r"\b(?:fait|fais|faire|fera|en train de faire) une (?:overdose|surdose)\b|\bje fais une "
     r"(?:od|overdose|surdose)\b"),
    (_Rule(_OVERDOSE, "fr", 0.9, who="either", default_third=True), "respire reveil bleu",
     r"\bne respire (?:plus|pas)\b|\bne se reveille (?:pas|plus)\b|\bles levres (?:bleues|"
     r"violettes)\b"),
    # Broader Portuguese, French and German forms (slang, methods, plans), written from
    # half of the pt/fr/de training file and checked on the other half.
    (_Rule(_SUICIDE, "pt", 0.85, who="either"),
     "mato matar suicid enforc jogar atirar pular tiro pulso morer mata",
     r"\b(?:eu )?me mato\b|\b(?:vou|vo|vai|quero|to querendo|tou querendo|estou querendo) "
     r"(?:me )?(?:matar|mata|suicidar)\b|\bmatar se\b|\bmatar me\b|"
     r"\b(?:me enforco|vou me enforcar|"
     r"vou me jogar|vou pular|vou saltar|quero saltar|quero pular|vou atirar me|atirar me (?:da|de|"
     r"do|para|pela)|me jogar (?:da|de|do|na frente|pela)|vou dar um tiro|"
     r"tiro na (?:minha )?cabeca|"
     r"cortar os pulsos|pensamento suicida|pensamentos suicidas|pensando (?:\w+ )?em suicidio|"
     r"quero (?:muito |mto |mesmo )?morrer|nao quero mais viver|me suicidar|suicidar me)\b"),
    (_Rule(_SELF_HARM, "pt", 0.8, who="either"), "corta magoar queim",
     r"\b(?:me cortando|me magoar|me queimei|me queimar|me machucando|me corto)\b"),
    (_Rule(_OVERDOSE, "pt", 0.85, who="either"), "tomei tomar injet usei",
     r"\b(?:tomei|engoli) (?:uns |umas )?\d+ (?:comprimidos|remedios|pilulas)\b|"
     r"\b(?:usei|tomei|cheirei|bebi) (?:muito|demais|tudo)\b|\bvou (?:injetar|tomar|usar|meter) "
     r"tudo\b|\bnao consigo (?:respirar|ficar acordado|acordar)\b"),
    (_Rule(_SUICIDE, "fr", 0.85, who="either"),
     "tue suicid pend fout tirer sauter finis crever vivre mourir",
     r"\bje me (?:tue|suicide|pends)\b|\b(?:me|se) (?:tuer|suicider|pendre)\b|\b(?:me|se) foutre "
     r"en lair\b|\b(?:me|se) tirer une bale\b|\b(?:vais|va|veux|veut) sauter\b|\bj ?en finis\b|"
     r"\benvie de crever\b|\b(?:veux|veu|veut) (?:plus vivre|plus etre en vie|mourir)\b|"
     r"\bj ?veu?x? mourir\b|\bmerite pas de vivre\b|\bidee de me tuer\b"),
    (_Rule(_SELF_HARM, "fr", 0.8, who="either"), "mutil scarif mal brule coupe",
     r"\b(?:me|se) (?:mutiler|scarifier|bruler|brule|couper)\b|\bme faire mal\b|"
     r"\bscarifications?\b"),
    (_Rule(_OVERDOSE, "fr", 0.85, who="either"), "avale pris tape",
     r"\b(?:jai|il a|elle a) (?:avale|pris) (?:genre |environ )?\d+ "
     r"(?:cachets|comprimes|pilules)\b|"
     r"\b(?:jai|il a|elle a) (?:trop tape|pris de tout|tout pris)\b|\bdepuis que jai tout pris\b|"
     r"\bprendre tout ce que jai\b"),
    (_Rule(_SUICIDE, "de", 0.85, who="either"),
     "bring umbr sterb tot schlus ende spring zug suizid",
     r"\b(?:bring|bringe|bringt) (?:mich|mi|sich) (?:\w+ )?um\b|"
     r"\b(?:mich|sich) umzu?bri?ngen\b|"
     r"\bumbrngen\b|\b(?:will|wil|mochte) (?:einfach |nur )?(?:sterbn|tot sein)\b|"
     r"\bsterbe heute\b|\bmach (?:ich )?schlus\b|\bschlus mit meinem leben\b|"
     r"\bmeinem leben ein ende\b|\b(?:spring|springe|springt) (?:gleich|heute|jetzt|morgen)\b|"
     r"\bvor den zug\b|\b(?:mich|sich) suizidieren\b|\bsuizidgedanken\b"),
    (_Rule(_SELF_HARM, "de", 0.8, who="either"), "ritz verletz brent",
     r"\britzt sich\b|\bmit dem ritzen\b|\bmich (?:heute )?selbst verletzen\b|"
     r"\bverbrennt sich\b|\bselbstverletzung\b"),
    (_Rule(_OVERDOSE, "de", 0.85, who="either"), "genomen geschluckt konsumiert packung uberdosis",
     r"\b(?:zu viel|mehr als sonst|alles durcheinander) (?:genomen|konsumiert)\b|"
     r"\b\d+ tabletten geschluckt\b|\bdie ganze packung\b|\beine uberdosis\b"),
    (_Rule(_SUICIDE, "de", 0.9), "sterben umbring bring selbstmord suizid leben",
     r"\b(?:ich )?(?:will|mochte|werde|wil|muss) (?:einfach )?(?:nur )?(?:sterben|mich "
     r"umbringen|mir das leben nehmen|selbstmord begehen|nicht mehr leben|nicht mehr aufwachen)"
     r"\b|\bich (?:bringe|bring) mich (?:\w+ )?um\b|\bmich (?:umzubringen|umbringen)\b|"
     r"\bmir das leben (?:zu )?nehmen\b"),
    (_Rule(_SUICIDE, "de", 0.9, never=True), "sterben umbring bring leben",
     r"\b(?:will|mochte|werde|wil|muss) (?:auf keinen fal |definitiv )?(?:nicht|nie|niemals) "
     r"(?:sterben|mich umbringen|mir das leben nehmen)\b|\bbringe mich (?:nicht|nie) um\b"),
    (_Rule(_SUICIDE, "de", 0.85), "grund suizid selbstmord",
     r"\bkein grund (?:mehr )?(?:zu leben|weiterzuleben)\b|\b(?:habe|hab) (?:\w+ )?"
     r"(?:suizidgedanken|selbstmordgedanken)\b|\bbin suizidal\b"),
    (_Rule(_SUICIDE, "de", 0.85, who="third"), "umbring sterben",
     r"\b(?:er|sie|mein \w+|meine \w+) (?:sagt,? )?(?:will|wil|wird) sich (?:umbringen|"
     r"das leben nehmen)\b|\b(?:er|sie) will sterben\b"),
    (_Rule(_SELF_HARM, "de", 0.8), "ritz schneid verletz",
     r"\bich (?:ritze|schneide|verletze) mich\b|\bmich (?:ritzen|selbst verletzen|schneiden)"
     r"\b|\bhabe mich (?:wieder )?(?:geritzt|geschnitten|selbst verletzt)\b(?! (?:beim|in den "
     r"finger|am finger))"),
    (_Rule(_OVERDOSE, "de", 0.85, who="either"), "genomen geschluckt",
     r"\b(?:alle|die ganze packung|eine ganze packung|zu viele) (?:\w+ )?(?:genomen|geschluckt)"
     r"\b"),
    (_Rule(_OVERDOSE, "de", 0.9, who="either"), "uberdosis",
     r"\b(?:eine|ne) uberdosis (?:nehmen|genomen|hat|habe)\b|\b(?:hat|habe|hab) (?:eine |ne )?"
     r"uberdosis\b"),
    (_Rule(_OVERDOSE, "de", 0.9, who="either", default_third=True), "atmet wacht blau",
     r"\batmet nicht mehr\b|\batmet nicht\b|\bwacht nicht (?:mehr )?auf\b|\b(?:lipen|lippen) "
     r"(?:sind |werden )?blau\b"),
]

# Each rule runs only when one of its anchors is in the text. One regex finds the anchors
# present (longest first); a found anchor also vouches for the anchors inside it.
_COMPILED: list[tuple[_Rule, re.Pattern[str]]] = [
    (rule, re.compile(_collapse(src))) for rule, _, src in _RULES
]


def _anchor_index() -> tuple[re.Pattern[str], dict[str, frozenset[int]]]:
    owners: dict[str, set[int]] = {}
    for i, (_, anchors, _) in enumerate(_RULES):
        for a in anchors.split():
            owners.setdefault(_REPEATS.sub(r"\1", a), set()).add(i)
    closure = {
        a: frozenset(i for b, idx in owners.items() if b in a for i in idx) for a in owners
    }
    pattern = re.compile(_trie_regex(owners))
    return pattern, closure


def _trie_regex(words: Iterable[str]) -> str:
    """One regex matching any of `words` (longest first at each position), written as a
    prefix tree: "mo(?:rir|urir)" instead of "morir|mourir". Python's re tries the
    alternatives of a flat list one by one at every position; the tree rejects a position
    after one or two characters, which matters on 100 KB of text."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(trie)


_ANCHORS, _ANCHOR_RULES = _anchor_index()
_ALL_RULES = frozenset(range(len(_RULES)))

# Text with its letter-spacing undone ("iwantodie"): look for glued stems.
_GLUED: dict[str, tuple[str, str]] = {
    _collapse(k).replace(" ?", ""): v
    for k, v in {
        "killmyself": (_SUICIDE, "en"), "wanttodie": (_SUICIDE, "en"),
        "suicid": (_SUICIDE, "en"), "endmylife": (_SUICIDE, "en"),
        "enditall": (_SUICIDE, "en"), "unalive": (_SUICIDE, "en"),
        "sewerslide": (_SUICIDE, "en"), "hurtmyself": (_SELF_HARM, "en"),
        "cutmyself": (_SELF_HARM, "en"), "selfharm": (_SELF_HARM, "en"),
        "overdos": (_OVERDOSE, "en"), "quieromorir": (_SUICIDE, "es"),
        "mevoyamatar": (_SUICIDE, "es"), "matarme": (_SUICIDE, "es"),
    }.items()
}
_GLUED_RE = re.compile("|".join(sorted(_GLUED, key=len, reverse=True)))

# --------------------------------------------------------------------------- context

_SENTENCE_END = re.compile(r"[.!?;\n]")
_CLAUSE_BREAK = re.compile(
    r"[.,;:!?]|\b(?:but|pero|however|though|although|aunque|sin embargo|and now|y ahora)\b"
)
_WORD = re.compile(r"[a-z]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATORS = _words(
    "not no never dont doesnt didnt wont wouldnt cant cannot isnt arent wasnt werent nobody "
    "neither nor hardly nunca jamas ni tampoco nao jamais nicht nie niemals kein keine"
)
# "can't stop thinking about...", "don't know why I want to die": not a negation.
_NEG_CANCEL = _words(
    "stop help know sure think care seem get stand handle cope bear take deal quit shake lie "
    "joke kid kiding joking believe understand imagine remember wait se puedo dejo"
)
_BARRIERS = _words("but and pero y because cause cuz so yet when if que porque")
_FIRST = _words("i im ive id me myself yo eu je jai moi ich mich mir")
_SECOND = _words("you u youre ur people everyone anyone we were tu")
_THIRD = _words(
    "he hes she shes they theyre him her his them someone somebody hed shed el ella ellos ellas "
    "alguien ele ela eles elas il elle ils elles er sie amigo amiga irmao irma filho filha mae "
    "pai marido esposa namorado namorada ami amie frere soeur fils fille mere pere mari copain "
    "copine freund freundin bruder schwester sohn tochter mutter vater"
) | frozenset(_collapse(_PERSON_EN[3:-1]).replace(" ?", "").split("|")) | frozenset(
    _collapse(_PERSON_ES[3:-1]).replace(" ?", "").split("|")
)
_PAST = re.compile(_collapse(
    r"\b(?:used to(?! much| many)|use to(?! much| many)|antes(?! de)|ago|back then|back when|"
    r"back in|at the time|in the past|"
    r"when i was (?:using|drinking|in|younger|a kid|a teen|a teenager|still|at)|"
    r"when i (?:first )?got (?:clean|sober)|before i got (?:clean|sober|help)|"
    r"before (?:recovery|treatment|rehab|sobriety)|in (?:my )?active (?:addiction|use)|"
    r"in my addiction|during my (?:addiction|using|drinking)|at my (?:worst|lowest)|"
    r"rock bottom|years back|those days|once upon|in (?:19|20)\d\d|since then|survived|"
    r"recovered from|the old me|long time ago|hace (?:\w+ )?(?:anos|ano|meses|mes|tiempo|"
    r"mucho)|solia|cuando (?:era|estaba|consumia|bebia|tomaba|empece)|en el pasado|"
    r"en aquel entonces|en esa epoca|antes de (?:la recuperacion|recuperarme|dejar|entrar)|"
    r"ha (?:\w+ )?(?:anos|meses)|anos atras|quando eu (?:era|estava|usava|bebia)|na epoca|"
    r"il y a (?:\w+ )?(?:ans|mois)|quand je (?:buvais|consommais|etais)|a lepoque|autrefois|"
    r"vor (?:\w+ )?(?:jahren|monaten)|fruher|damals|als ich (?:noch )?(?:getrunken|trank|"
    r"konsumiert|druf))\b"
))
_RECENT_STRONG = (
    r"again|tonight|right now|rn|last night|this morning|just now|minutes ago|hours ago|"
    r"an hour ago|otra vez|de nuevo|esta noche|ahora mismo|anoche|hace un rato|"
    r"hace (?:unos )?minutos|hace (?:una|unas) horas?"
)
_RECENT_STRONG_RE = re.compile(_collapse(rf"\b(?:{_RECENT_STRONG})\b"))
_RECENT_RE = re.compile(_collapse(
    rf"\b(?:{_RECENT_STRONG}|today|yesterday|this week|earlier|last week|hoy|ayer|"
    r"esta semana|la semana pasada)\b"
))
_GRIEF = re.compile(_collapse(
    r"\b(?:died|passed away|funeral|rip|memorial|anniversary|lost (?:him|her|them|my)|"
    r"murio|fallecio|funeral|perdi a)\b"
))
_NEWS = re.compile(_collapse(
    r"\b(?:acording to|the news|news said|reported|reports|police said|article|headline|"
    r"segun|las noticias|el periodico|reporto)\b"
))
# A recovery story: a long message that states sober time ("I'm 6 years sober", "eleven
# months clean") or safety ("I'm not in any danger"). Its crisis words count only in a
# clause that speaks of now or of an intent ("but tonight I want to die").
_NARRATIVE_MIN = 250
_SOBER_TIME = re.compile(_collapse(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|several|many) (?:full )?(?:years?|months?|yrs?) (?:sober|clean|in recovery|"
    r"of (?:sobriety|recovery)|in (?:aa|na))\b|\b(?:sober|clean) (?:for )?(?:\d+|a|an|one|two|"
    r"three|four|five|six|seven|eight|nine|ten|eleven|twelve) (?:full )?(?:years?|months?)\b|"
    r"\b(?:im|i am) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) "
    r"(?:years?|months?) (?:in|sober|clean)\b|\bnot in (?:any )?danger\b|\bim (?:safe|okay "
    r"now|ok now|doing (?:god|wel|fine|great) now)\b|\b(?:anos|meses) (?:limpio|limpia|"
    r"sobrio|sobria)\b"
))
_NOW_OR_INTENT = re.compile(_collapse(
    r"\b(?:want|wana|going to|gona|plan|planing|ready|about to|right now|rn|tonight i|"
    r"cant (?:take|do|go)|again|anymore|any more|today|now i|im (?:thinking|going|geting|"
    r"scared|afraid)|i (?:think|fel|am)|quiero|voy a|ahora|hoy|otra vez)\b"
))

_MEDIA = re.compile(_collapse(
    r"\b(?:song|lyrics?|movie|film|book|show|series|episode|title|album|poem|podcast|"
    r"article|quote|meme|chapter|headline|cancion|pelicula|libro|serie|titulo|poema)\b"
))
_REPORTED = re.compile(_collapse(
    r"\b(?:texted|texting|said|says|saying|told|messaged|posted|wrote|keps|dmd|"
    r"dijo|dice|escribio|mando)\b"
))


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: str
    lang: str
    score: float
    third_party: bool
    active: bool


def _subject(left: str) -> str | None:
    """Nearest subject before a match, looking back within the sentence."""
    words = _WORD.findall(left)
    for i in range(len(words) - 1, max(-1, len(words) - 9), -1):
        w = words[i]
        if w in _FIRST:
            return "first"
        if w == "else" and i > 0 and words[i - 1] in ("anyone", "anybody"):
            return "first"  # "anyone else feel like they want to die?" is a disclosure
        if w in _SECOND:
            return "second"
        if w in _THIRD:
            return "third"
    return None


def _negated(clause_left: str) -> bool:
    words = _WORD.findall(clause_left)[-4:]
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if w in _BARRIERS:
            return False
        if w in _NEGATORS:
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if nxt not in _NEG_CANCEL:
                return True
    return False


def _in_quotes(quotes: list[int], pos: int) -> bool:
    return bisect_right(quotes, pos) % 2 == 1


def _judge(s: str, m: re.Match[str], rule: _Rule, clauses: list[int], sentences: list[int],
           quotes: list[int], narrative: bool = False) -> _Hit | None:
    start, end = m.start(), m.end()
    ci = bisect_right(clauses, start)
    c_lo = max(clauses[ci - 1] if ci else 0, start - _CTX)
    c_hi = min(clauses[ci] if ci < len(clauses) else len(s), end + _CTX)
    si = bisect_right(sentences, start)
    s_lo = max(sentences[si - 1] if si else 0, start - _CTX)
    s_hi = min(sentences[si] if si < len(sentences) else len(s), end + _CTX)
    clause = s[c_lo:c_hi]
    sentence = s[s_lo:s_hi]
    active = True
    third = rule.who == "third"

    # The match itself may hold the subject ("i want to die", "she took too many").
    subj = _subject(s[s_lo:end])
    if rule.never:
        return _Hit(rule.kind, rule.lang, rule.weight, False, False)
    if rule.who == "third":
        # "people in early recovery feel like they want to die", "if my friend is suicidal"
        lead = _WORD.findall(s[max(s_lo, start - 12):start])
        generic = rule.kind != _OVERDOSE and _subject(s[s_lo:start]) == "second"
        active = not generic and not (lead and lead[-1] == "if")
    elif rule.who == "any":
        active = True  # a farewell: "goodbye everyone" names the audience, not the subject
    else:
        if rule.who == "self":
            active = subj not in ("second", "third")
        elif rule.who == "either":
            third = subj == "third" or (subj is None and rule.default_third)
            active = subj != "second"
        else:  # strict
            third = True
            active = subj == "third"
    if active and _negated(s[c_lo:start]):
        active = False
    if active:
        if rule.needs_recent:
            active = _RECENT_RE.search(clause) is not None
        elif _PAST.search(clause) and not _RECENT_STRONG_RE.search(clause):
            active = False
    if active and third and (_NEWS.search(sentence)
                             or (rule.kind == _OVERDOSE and _GRIEF.search(sentence))):
        active = False  # mourning someone, or reporting news: not an emergency now
    if active and narrative and not _NOW_OR_INTENT.search(clause):
        return None  # a recovery story told in the past: no verdict, the model decides
    if active and quotes and _in_quotes(quotes, start):
        if _MEDIA.search(sentence):
            active = False
        elif _REPORTED.search(sentence):
            third = True
    return _Hit(rule.kind, rule.lang, rule.weight, third, active)


_PRIORITY = {_OVERDOSE: 3, _SUICIDE: 2, _SELF_HARM: 1}


def _analyse(low: str, lang: str) -> Detection:
    s, spaced = _normalise(low)
    hits: list[_Hit] = []
    clauses = [m.start() for m in _CLAUSE_BREAK.finditer(s)]
    sentences = [m.start() for m in _SENTENCE_END.finditer(s)]
    quotes = [i for i, c in enumerate(s) if c == '"'] if '"' in s else []
    narrative = len(s) >= _NARRATIVE_MIN and _SOBER_TIME.search(s) is not None
    wanted: set[int] = set()
    for a in set(_ANCHORS.findall(s)):
        wanted |= _ANCHOR_RULES[a]
    for i in sorted(wanted):
        rule, rx = _COMPILED[i]
        if len(hits) >= _MAX_HITS:
            break
        for m in rx.finditer(s):
            hit = _judge(s, m, rule, clauses, sentences, quotes, narrative)
            if hit is not None:
                hits.append(hit)
            if len(hits) >= _MAX_HITS:
                break
    if spaced:
        glued = s.replace(" ", "")
        for m in _GLUED_RE.finditer(glued):
            kind, glang = _GLUED[m.group()]
            before = glued[max(0, m.start() - 6):m.start()]
            active = not ("dont" in before or "not" in before or before.endswith("no"))
            hits.append(_Hit(kind, glang, 0.8, False, active))
            if len(hits) >= _MAX_HITS:
                break
    return _verdict(hits, lang)


def _verdict(hits: list[_Hit], lang: str) -> Detection:
    live = [h for h in hits if h.active]
    if not live:
        if not hits:
            return NO_CRISIS
        best = max(hits, key=lambda h: h.score)
        return Detection(False, None, round(best.score * 0.2, 3), best.lang)
    top = max(live, key=lambda h: (h.score >= 0.8, _PRIORITY[h.kind], h.score,
                                   h.lang == lang))
    score = min(1.0, max(h.score for h in live) + 0.05 * (len(live) - 1))
    third = any(h.third_party for h in live if h.kind == top.kind)
    crisis = score >= _THRESHOLD
    return Detection(crisis, top.kind if crisis else None, round(score, 3), top.lang,
                     third and crisis, "rules" if crisis else None)


# Scripts with Latin look-alikes (Cyrillic, Greek, IPA, small capitals, dotless i): the
# quick ASCII fold would drop them, so such texts always get the full analysis.
_LOOKALIKE = re.compile("[\u0131\u0250-\u02af\u0370-\u058f\u1d00-\u1dbf]")


def _passes(low: str) -> bool:
    if low.isascii():
        return _worth_a_look(low)
    if _LOOKALIKE.search(low):
        return True
    # Quick fold for the pre-filter only: compatibility forms and accents decompose,
    # everything else non-ASCII (emoji, zero-width, curly quotes) is dropped.
    quick = unicodedata.normalize("NFKD", low).encode("ascii", "ignore").decode("ascii")
    return _worth_a_look(quick.lower())


# Characters read. A chat message is far shorter (Telegram: 4,096, Discord: 4,000); the cap
# keeps a hostile 100 KB paste to a few milliseconds.
MAX_CHARS = 16_384


def detect(text: str, lang: str = "auto") -> Detection:
    """The rules alone, on the first `MAX_CHARS` characters. `lang` only breaks ties: the
    rules of every language always run, because a missed crisis in a mixed-language group
    costs too much."""
    if not isinstance(text, str) or not text:
        return NO_CRISIS
    low = text[:MAX_CHARS].lower()
    if not _passes(low):
        return NO_CRISIS
    return _analyse(low if low.isascii() else _fold(low), lang)


def prefilter_passes(text: str) -> bool:
    """Whether `text` reaches the full analysis (for tests and the benchmark)."""
    return _passes(text[:MAX_CHARS].lower())


def detect_full(text: str, lang: str = "auto") -> Detection:
    """`detect` without the pre-filter: the reference the pre-filter must agree with."""
    if not isinstance(text, str) or not text:
        return NO_CRISIS
    low = text[:MAX_CHARS].lower()
    if not low.isascii():
        low = _fold(low)
    return _analyse(low, lang)
