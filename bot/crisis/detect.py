"""Crisis-language detector: hand-written rules as the floor, a learned classifier on top.

Stage one, bot/crisis/rules.py: clause-aware rules (negation, past tense, third parties,
quoting, obfuscation). Fast, explainable, precise, but they only know what they were
written for. Stage two, bot/crisis/classifier.py: a linear model over word and character
n-grams, trained on the labelled corpus (training/crisis/), scoring every window of up to
three sentences. A message is a crisis when either stage says so; `Detection.stage` tells
which one did.

Recall matters more than precision here: a missed crisis costs more than a kind message
sent to someone who did not need it. Both stages do bounded, linear work: the rules cap the
matches they examine, the classifier reads at most its first 4,096 characters.
"""

from __future__ import annotations

import re

from bot.crisis.classifier import Model, load_model
from bot.crisis.lang import LANGS, detect_lang
from bot.crisis.rules import NO_CRISIS, Detection, prefilter_passes
from bot.crisis.rules import detect as rules_detect
from bot.crisis.rules import detect_full as rules_detect_full

__all__ = [
    "LANGS",
    "NO_CRISIS",
    "Detection",
    "detect",
    "detect_full",
    "prefilter_passes",
    "rules_detect",
]


# Who the crisis is about: a window that names other people at least as often as the
# writer ("my friend said she's going to kill herself", "he's turning blue") is about
# someone else. A person after a preposition is an object, not a subject ("giving my dog
# to my sister"). On the cross-writer validation this count flagged 96 % of the detected
# messages about someone else (the learned head alone: 46 %, since only one writer wrote
# such lines), and 4 % of those about the writer. ("el" is left out: it is also "the".)
_OTHER_WORDS = (
    "he hes she shes they theyre him her herself himself themselves his hers friend friends bro "
    "brother sister sis mom mum mother dad father son daughter husband wife partner boyfriend "
    "girlfriend bf gf roommate flatmate housemate cousin kid child baby uncle aunt buddy mate "
    "sponsee sponsor neighbor neighbour fiance fiancee ex coworker niece nephew grandma grandpa "
    "guy girl man woman dude someone somebody teen teenager "
    "ella ellos ellas amigo amiga hermano hermana novio novia pareja hijo hija madre padre "
    "mama papa primo prima esposo esposa marido companero companera roomie tio tia vecino "
    "vecina padrino madrina ahijado ahijada alguien "
    "ele ela eles elas irmao irma filho filha mae pai namorado namorada "
    "il elle ils elles ami amie frere soeur fils fille mere pere mari copain copine "
    "er sie ihn ihm freund freundin bruder schwester sohn tochter mutter vater"
)
_OTHERS = frozenset(_OTHER_WORDS.split(" "))
_SELF = frozenset(("i", "im", "ive", "id", "me", "myself", "yo", "eu", "je", "jai", "moi", "ich",
                   "mich", "mir"))
_PREPOSITIONS = frozenset(("to", "for", "with", "from", "at", "about", "para", "con", "com",
                           "pour", "avec", "mit", "zu", "a"))
_DETERMINERS = frozenset(("my", "the", "a", "mi", "meu", "minha", "mon", "ma", "mein", "meine"))


def _about_others(window: list[list[str]]) -> bool:
    toks = [t for sent in window for t in sent]
    others = 0
    for i, t in enumerate(toks):
        if t not in _OTHERS:
            continue
        before = toks[i - 1] if i else ""
        if before in _PREPOSITIONS or (
            before in _DETERMINERS and i > 1 and toks[i - 2] in _PREPOSITIONS
        ):
            continue
        others += 1
    return others > 0 and others >= sum(map(_SELF.__contains__, toks))


# The kind of a crisis only the model found: its learned kind heads knew little of
# overdose (one writer wrote most of those lines), so words decide: self-harm words, then
# overdose words, else suicide. On the cross-writer validation: kind right for 86 % of
# the detected messages (the heads: 72 %). The heads stay in the artefact for the record.
_SELF_HARM_WORDS = re.compile(
    r"\b(?:cut|cuts|cutting|cutter|blade|blades|razor|razors|burn|burning|burned|scratch\w*|"
    r"bleed\w*|wrists?|self ?harm\w*|sh|cortarme|corte|cortes|cortando|lastimarme|autoles\w*|"
    r"scarif\w*|ritz\w*|geritzt|machucar|cortei)\b"
)
_OVERDOSE_WORDS = re.compile(
    r"\b(?:pills?|pils|meds|overdos\w*|od|oded|xanax|bars|oxys?|fent\w*|heroin|dope|tylenol|"
    r"bottle|benzos?|dose|narcan|naloxone|breathing|breathe|blue|lips|unresponsive|nodding|took|"
    r"snort\w*|line|lines|gram|bundle|shot|inject\w*|using|used|high|drunk|drink\w*|"
    r"pastillas|sobredosis|respira\w*|comprimidos|remedios|cachets|comprimes|tabletten|"
    r"uberdosis|surdose|medicamentos|medicaments)\b"
)


def _kind_of(window: list[list[str]]) -> str:
    text = " ".join(" ".join(sent) for sent in window)
    if _SELF_HARM_WORDS.search(text):
        return "self_harm"
    if _OVERDOSE_WORDS.search(text):
        return "overdose"
    return "suicide"


def _scaled(prob: float, threshold: float) -> float:
    """The classifier's probability on the detector's scale, where 0.5 is the decision
    line: `threshold` maps to 0.5, 0 to 0 and 1 to 1 (piecewise linear)."""
    if prob < threshold:
        return 0.5 * prob / threshold
    return min(1.0, 0.5 + 0.5 * (prob - threshold) / (1.0 - threshold))


# When the rules found crisis words but judged every one of them negated, in the past,
# quoted or hypothetical ("I don't want to die", "two years ago I overdosed", "no me voy a
# matar"), the model does not overrule them: it sees the words, not their grammar. (On the
# cross-writer validation this veto cost no recall at all.) A probability never reaches
# this floor.
DISCOUNTED_MIN = 1.01


def combine(text: str, lang: str, rules: Detection, model: Model) -> Detection:
    """Both stages' verdicts on one message -> the detector's answer."""
    forced = lang if lang in LANGS else None
    logit, window = model.best_window(text)
    prob = model.prob_of(logit)
    floor = DISCOUNTED_MIN if rules.score and not rules.crisis else 0.0
    if not rules.crisis and prob < max(model.min_threshold, floor):
        # Below every language's threshold: no need to know the language.
        if not rules.score and not prob:
            return NO_CRISIS
        score = max(rules.score, _scaled(prob, model.min_threshold))
        return Detection(False, None, round(min(score, 0.499), 3), None)
    language = forced or detect_lang(text) or rules.lang or "en"
    threshold = max(model.threshold.get(language, 0.5), floor)
    by_model = prob >= threshold
    if not rules.crisis and not by_model:
        score = max(rules.score, _scaled(prob, threshold))
        return Detection(False, None, round(min(score, 0.499), 3), None)
    _, third_prob = model.heads_of(window)
    kind = rules.kind if rules.crisis and rules.kind else _kind_of(window)
    third = rules.third_party or third_prob >= 0.5 or _about_others(window)
    stage = "both" if rules.crisis and by_model else "rules" if rules.crisis else "model"
    score = max(rules.score, _scaled(prob, threshold), 0.5)
    return Detection(True, kind, round(score, 3), language, third, stage)


# Read the artefact now (about half a second), not on the first message of a live chat.
load_model()


def detect(text: str, lang: str = "auto") -> Detection:
    """Classify one message.

    `lang` "auto" identifies the language (en, es, pt, fr, de); any of those five forces it:
    the answer's `lang` is that language and the classifier uses its decision threshold.
    The rules of every language still run, because a group set to the wrong language
    must not hide a crisis."""
    if not isinstance(text, str) or not text:
        return NO_CRISIS
    return combine(text, lang, rules_detect(text, lang), load_model())


def detect_full(text: str, lang: str = "auto") -> Detection:
    """`detect` without the rules' pre-filter: the reference the pre-filter must agree with."""
    if not isinstance(text, str) or not text:
        return NO_CRISIS
    return combine(text, lang, rules_detect_full(text, lang), load_model())
