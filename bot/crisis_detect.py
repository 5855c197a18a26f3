"""Crisis-language detector: hand-written rules as the floor, a learned classifier on top.

Stage one, bot/crisis_rules.py: clause-aware rules (negation, past tense, third parties,
quoting, obfuscation). Fast, explainable, precise, but they only know what they were
written for. Stage two, bot/crisis_classifier.py: a linear model over word and character
n-grams, trained on the labelled corpus (training/crisis/), scoring every window of up to
three sentences. A message is a crisis when either stage says so; `Detection.stage` tells
which one did.

Recall matters more than precision here: a missed crisis costs more than a kind message
sent to someone who did not need it. Both stages do bounded, linear work: the rules cap the
matches they examine, the classifier reads at most its first 4,096 characters.
"""

from __future__ import annotations

from bot.crisis_classifier import Model, load_model
from bot.crisis_lang import LANGS, detect_lang
from bot.crisis_rules import NO_CRISIS, Detection, prefilter_passes
from bot.crisis_rules import detect as rules_detect
from bot.crisis_rules import detect_full as rules_detect_full

__all__ = [
    "LANGS",
    "NO_CRISIS",
    "Detection",
    "detect",
    "detect_full",
    "prefilter_passes",
    "rules_detect",
]


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
    kind, third_prob = model.heads_of(window)
    if rules.crisis:
        kind = rules.kind or kind
        third = rules.third_party or third_prob >= 0.5
    else:
        third = third_prob >= 0.5
    stage = "both" if rules.crisis and by_model else "rules" if rules.crisis else "model"
    score = max(rules.score, _scaled(prob, threshold), 0.5)
    return Detection(True, kind, round(score, 3), language, third, stage)


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
