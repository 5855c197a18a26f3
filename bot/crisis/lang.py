"""Language of a chat message: English, Spanish, Portuguese, French or German.

Small and fast, no dependency: every word of the (lower-cased, accent-folded) text is looked
up in one table of frequent words, each worth a few points to the languages it belongs to;
letters that only some of the languages use (ñ, ã, ß, è...) add points too. The best total
wins; with no evidence at all the answer is None (the caller picks its default).
Work is one pass over the words, and only the first `_MAX_WORDS` words are read.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LANGS", "detect_lang"]

LANGS = ("en", "es", "pt", "fr", "de")
_MAX_WORDS = 80
_MAX_CHARS = 1200

# Frequent words, accents removed. A word listed for several languages counts for each of
# them, but less: evidence is split. Crisis vocabulary is included on purpose, since the
# messages that matter are often short ("quiero desaparecer", "je veux mourir").
_WORDS: dict[str, str] = {
    "en": (
        "i a im ive id ill me my myself mine you your youre u ur he hes she shes it its we were "
        "they theyre them the and or but if so to of in on at for with about from by as is "
        "are was be been being am do does did dont doesnt didnt cant wont wouldnt couldnt "
        "shouldnt isnt arent wasnt have has had not no yes just this that these those what "
        "when where why how who all any some one can could would should will want wanna "
        "gonna going got get think feel feeling know really anymore today tonight tomorrow "
        "yesterday now here there again still never ever always day days night week sober "
        "clean meeting sponsor thanks thank please help life live alive die dying dead kill "
        "pills anyone everyone someone nobody out up down over too much more very after "
        "before because cause like love need keep stay end anything nothing everything "
        "honestly lol guys friend sorry back time years wish hope tired stop off an than "
        "then wake sleep myself good great okay ok hey hi morning right tell"
    ),
    "es": (
        "yo me mi mis conmigo tu te ti el ella ellos ellas nosotros usted le les lo los las "
        "la el un una unos unas y o pero si no ni que porque por para con sin sobre entre "
        "hasta desde es son era fue soy estoy esta estan estaba he ha han hay tengo tiene "
        "tenia quiero quiere queria puedo puede voy va vamos hacer hago hice muy mas ya "
        "hoy ayer manana noche ahora aqui alli nunca siempre nada todo todos todas algo "
        "alguien nadie vida vivir morir morirme matarme muerto muerta quiero ganas creo "
        "siento solo sola otra otro vez dia dias anos semana reunion padrino gracias hola "
        "amigo amiga hermano hermana mama papa casa cuando donde como cual quien eso esto "
        "esa ese este bien mal mejor peor tambien del al estar ser tomar tome pastillas "
        "desaparecer despertar aguanto puedo sigo seguir sentido razon pues asi cada mucho "
        "mucha poco tan matar cortar cortarme corte volvi vuelvo muero poniendo azul "
        "sobredosis demasiadas todas pasado pase ojala quisiera dormir despertarme salir "
        "estas estos mejor nadie extranar despedirme adios mama"
    ),
    "pt": (
        "eu me mim meu minha meus minhas comigo voce voces tu te ele ela eles elas nos o a "
        "os as um uma uns umas e ou mas se nao que porque por para com sem sobre ate desde "
        "do da dos das no na nos nas num numa pelo pela em e sou estou esta estao estava "
        "foi era tenho tem tinha quero quer queria posso pode vou vai vamos fazer fiz muito "
        "muita mais ja hoje ontem amanha noite agora aqui ali nunca sempre nada tudo todos "
        "algo alguem ninguem vida viver morrer morta morto matar vontade acho sinto so "
        "sozinho sozinha outra outro vez dia dias anos semana reuniao padrinho obrigado "
        "obrigada ola amigo amiga irmao irma mae pai casa quando onde como qual quem isso "
        "isto essa esse este bem mal melhor pior tambem estar ser tomei comprimidos "
        "remedios desaparecer acordar aguento consigo sentido razao entao assim cada "
        "pouco tao cortar cortei voltei morrendo azul overdose demais todos dormir "
        "acordar sumir quero nunca mais adeus ficar vezes"
    ),
    "fr": (
        "je j me moi mon ma mes tu te toi ton ta tes il elle ils elles on nous vous lui "
        "leur le la les un une des du de au aux et ou mais si ne pas que qu qui "
        "quoi parce pour par avec sans sur dans entre jusqu depuis est ce cette ces cet "
        "suis es sommes sont etais etait ai as a avons ont avais veux veut voulais peux "
        "peut vais va allons faire fait fais tres plus deja aujourd hui hier demain soir "
        "nuit maintenant ici la jamais toujours rien tout tous toutes quelque quelqu "
        "personne vie vivre mourir mort morte tuer envie crois sens seul seule encore fois "
        "jour jours ans semaine reunion parrain merci salut bonjour ami amie frere soeur "
        "mere pere maison quand ou comment quel quelle qui ca cela bien mal mieux pire "
        "aussi etre avoir pris cachets medicaments disparaitre reveiller tiens raison "
        "alors donc chaque peu beaucoup trop"
    ),
    "de": (
        "ich mich mir mein meine meinen meinem meiner du dich dir dein deine er sie es wir "
        "ihr ihm ihn ihnen man der die das den dem des ein eine einen einem einer und oder "
        "aber wenn nicht kein keine keinen dass weil fur mit ohne uber auf in im an am aus "
        "bei bis seit zu zum zur vom ist sind war waren bin bist habe hast hat hatte will "
        "willst wollte kann konnte muss werde wird mache machen sehr mehr schon heute "
        "gestern morgen abend nacht jetzt hier dort nie niemals immer nichts alles alle "
        "etwas jemand niemand leben sterben tot toten umbringen lust glaube fuhle allein "
        "noch mal tag tage jahre woche meeting sponsor danke hallo freund freundin bruder "
        "schwester mutter vater haus wann wo wie welche wer das dies diese dieser gut "
        "schlecht besser schlimmer auch sein haben genommen tabletten verschwinden "
        "aufwachen halte grund also dann jeden wenig viel zu so nur ganz einfach"
    ),
}


def _build() -> dict[str, tuple[tuple[int, float], ...]]:
    owners: dict[str, set[int]] = {}
    for li, lang in enumerate(LANGS):
        for w in _WORDS[lang].split():
            owners.setdefault(w, set()).add(li)
    # A word of one language is worth 1; shared words split that point.
    return {w: tuple((li, 1.0 / len(ls)) for li in sorted(ls)) for w, ls in owners.items()}


_TABLE = _build()

# Letters that point at a language (before accents are removed), worth this much each.
_LETTERS: dict[str, tuple[tuple[int, float], ...]] = {
    "ñ": ((1, 2.0),), "¿": ((1, 2.0),), "¡": ((1, 2.0),),
    "ã": ((2, 2.0),), "õ": ((2, 2.0),), "ç": ((2, 1.0), (3, 1.0)),
    "ê": ((2, 0.7), (3, 0.7)), "â": ((2, 0.5), (3, 0.5)), "ô": ((2, 0.5), (3, 0.5)),
    "à": ((2, 0.5), (3, 1.0)), "è": ((3, 2.0),), "ù": ((3, 2.0),), "œ": ((3, 2.0),),
    "î": ((3, 1.5),), "ï": ((3, 1.0),), "û": ((3, 1.5),), "ë": ((3, 1.0),),
    "ß": ((4, 2.0),), "ä": ((4, 2.0),), "ö": ((4, 2.0),), "ü": ((4, 1.5),),
    "á": ((1, 0.5), (2, 0.5)), "í": ((1, 0.5), (2, 0.5)), "ó": ((1, 0.5), (2, 0.5)),
    "ú": ((1, 0.5), (2, 0.5)), "é": ((1, 0.4), (2, 0.4), (3, 0.6)),
}
# Endings of words missing from the table (weaker evidence than a listed word).
_ENDINGS: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = (
    ("cion", ((1, 0.6),)), ("ciones", ((1, 0.6),)), ("mente", ((1, 0.3), (2, 0.3))),
    ("ando", ((1, 0.3), (2, 0.3))), ("iendo", ((1, 0.6),)), ("endo", ((2, 0.3),)),
    ("arme", ((1, 0.6),)), ("erme", ((1, 0.6),)), ("irme", ((1, 0.6),)),
    ("cao", ((2, 0.6),)), ("coes", ((2, 0.6),)), ("inho", ((2, 0.6),)), ("inha", ((2, 0.6),)),
    ("aria", ((1, 0.2), (2, 0.2))), ("eux", ((3, 0.6),)), ("euse", ((3, 0.6),)),
    ("ais", ((3, 0.3),)), ("ait", ((3, 0.6),)), ("ment", ((3, 0.3), (0, 0.1))),
    ("tion", ((0, 0.3), (3, 0.3))), ("ing", ((0, 0.6),)), ("ly", ((0, 0.4),)),
    ("ed", ((0, 0.3),)), ("ung", ((4, 0.6),)), ("lich", ((4, 0.6),)), ("keit", ((4, 0.6),)),
    ("heit", ((4, 0.6),)), ("sch", ((4, 0.4),)), ("chen", ((4, 0.4),)), ("en", ((4, 0.15),)),
)
_ENDING_RE = re.compile(
    r"(?:" + "|".join(sorted((e for e, _ in _ENDINGS), key=len, reverse=True)) + r")$"
)
_ENDING = dict(_ENDINGS)
_LETTER_RE = re.compile("[" + "".join(_LETTERS) + "]")
_WORD_RE = re.compile(r"[a-z]+")
_STRIP = {cp: None for cp in range(0x0300, 0x0370)}


def _fold(low: str) -> str:
    if low.isascii():
        return low
    return unicodedata.normalize("NFKD", low).translate(_STRIP)


def detect_lang(text: str) -> str | None:
    """'en', 'es', 'pt', 'fr', 'de', or None when the text gives no evidence."""
    low = text[:_MAX_CHARS].lower()
    scores = [0.0, 0.0, 0.0, 0.0, 0.0]
    if not low.isascii():
        for ch in _LETTER_RE.findall(low)[:_MAX_WORDS]:
            for li, pts in _LETTERS[ch]:
                scores[li] += pts
    get = _TABLE.get
    for w in _WORD_RE.findall(_fold(low).replace("'", " ").replace("’", " "))[:_MAX_WORDS]:
        owners = get(w)
        if owners is None and len(w) >= 5:
            m = _ENDING_RE.search(w)
            owners = _ENDING[m.group()] if m else None
        if owners:
            for li, pts in owners:
                scores[li] += pts
    best = max(scores)
    if best <= 0.0:
        return None
    # Ties go to the earlier language in LANGS (English, then Spanish).
    return LANGS[scores.index(best)]
