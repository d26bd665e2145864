"""How people say no, stop, or "ask my colleague", in the nine languages the service reads.

English, German, French, Spanish, Portuguese, Italian, Dutch, Polish and Swedish, phrased
the many ways people do. Patterns run on the reply's new text with whitespace collapsed and
typographic apostrophes made plain (``replies.classify`` does both); all are linear regexes.
"""

from __future__ import annotations

import re

from automation.core.lazyre import lazy_compile

OPT_OUT = lazy_compile(
    r"(?:don'?t|do not|please never|never) (?:reach out|contact me|e-?mail me|write (?:to )?me)"
    r"(?: (?:again|anymore|any more))?|stop reaching out|leave me alone"
    r"|take me off (?:your|the|this) (?:mailing |contact )?list"
    # de
    r"|aus (?:ihrem|deinem|dem|eurem) verteiler|(?:kontaktieren|schreiben) sie mich nicht"
    r"|schreiben sie mir nicht mehr|nicht mehr (?:kontaktieren|anschreiben|schreiben|anrufen)"
    r"|keine weiteren (?:e-?mails|nachrichten)"
    # fr
    r"|ne plus m['e]?\s?(?:[ée]crire|contacter|solliciter)|ne me (?:contactez|[ée]crivez|sollicitez) plus"
    r"|supprimez[- ]moi|retirez[- ]moi"
    # es
    r"|no me vuelva[ns]? a (?:escribir|contactar)|no vuelva[ns]? a (?:escribirme|contactarme)"
    r"|deje[ns]? de (?:escribirme|contactarme)|s[áa]quen?me de|b[óo]rren?me de"
    # pt
    r"|n[ãa]o me conta(?:c)?te[m]?(?: mais)?|pare[m]? de me (?:enviar|contactar|escrever)"
    r"|remov[ae]m?-me|tire[m]?-me da|n[ãa]o quero (?:mais )?receber"
    # it
    r"|non (?:contattarmi|scrivermi|mi contatti|mi scriva|mi scrivete|mi contattate) pi[ùu]"
    r"|toglietemi|rimuovetemi|cancellatemi"
    # nl
    r"|haal (?:mij|me) (?:alstublieft |alsjeblieft |aub )?(?:van|uit) (?:uw|je|jullie|de) "
    r"(?:mailing)?lijst|niet meer (?:contacteren|mailen|benaderen|e-?mailen)"
    r"|neem geen contact meer op|uitschrijven"
    # pl
    r"|(?:więcej )?do mnie nie pisa[ćc]|prosz[ęe] (?:więcej )?nie pisa[ćc]|nie kontaktowa[ćc] si[ęe] ze mn[ąa]"
    r"|usu[ńn](?:cie|[ąa]?) mnie|wypisa[ćc] mnie"
    # sv
    r"|kontakta mig inte|skriv inte till mig|ta bort mig fr[åa]n|avregistrera mig",
    re.IGNORECASE,
)

DECLINE = lazy_compile(
    r"(?:don'?t|do not|no longer) do (?:informational interviews|these|such calls|calls|coffee chats)"
    r"|not taking (?:these|such|any|new) (?:calls|meetings|requests|chats)"
    r"|not (?:doing|taking) (?:calls|meetings|informational)|(?:can'?t|cannot) make (?:the )?time"
    r"|(?:don'?t|do not) have (?:the )?(?:time|bandwidth|capacity)|no bandwidth|respectfully decline"
    # de
    r"|keine kapazit[äa]t|kann ich (?:leider )?nicht (?:helfen|teilnehmen|zusagen)"
    # fr
    r"|pas en mesure de|je ne pourrai pas|je dois (?:refuser|d[ée]cliner)"
    # es
    r"|no puedo|no me es posible|prefiero no|lo siento, no"
    # pt
    r"|n[ãa]o posso|n[ãa]o tenho tempo|n[ãa]o estou dispon[íi]vel"
    # it
    r"|non ho tempo|non posso|non sono disponibile"
    # nl
    r"|geen tijd|kan helaas niet|niet beschikbaar|moet (?:helaas )?afzeggen"
    # pl
    r"|nie mam (?:teraz |obecnie )?czasu|nie mog[ęe]|nie jestem dost[ęe]pn"
    # sv
    r"|inte (?:har )?tid|hinner (?:tyv[äa]rr )?inte|kan tyv[äa]rr inte"
    r"|inte tillg[äa]nglig|m[åa]ste tacka nej",
    re.IGNORECASE,
)

REDIRECT = lazy_compile(
    r"not the right person|isn'?t the right person|cc'?d|copied|collega|colleg[ae]|kolleg"
    r"|kole[żz]ank|koleg[aiów]|coleg[ao]|scrivere a|rivolg|contattare|napisa[ćc] do"
    r"|skontaktowa[ćc] si[ęe]|fale com|falar com|entre em contato|neem contact op"
    r"|contact (?:op)?nemen|kontakta|v[äa]nd dig till",
    re.IGNORECASE,
)

# A sentence naming a day or time is scheduling ("non posso martedì, ma giovedì sì"), not a
# refusal: weekdays, "tomorrow", "next week" in the nine languages, and clock times.
TIMEISH = lazy_compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day|\btomorrow\b|next week|\d{1,2}(?::\d\d|\s?[ap]\.?m\.?|h\b)"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|morgen|n[äa]chste woche|lundi|mardi|mercredi"
    r"|jeudi|vendredi|demain|semaine prochaine|lunes|martes|mi[ée]rcoles|jueves|viernes|mañana"
    r"|pr[óo]xima semana|segunda|ter[çc]a|quarta|quinta|sexta|amanh[ãa]|luned[ìi]|marted[ìi]"
    r"|mercoled[ìi]|gioved[ìi]|venerd[ìi]|domani|settimana prossima|maandag|dinsdag|woensdag"
    r"|donderdag|vrijdag|volgende week|poniedzia|wtor|[śs]rod|czwart|pi[ąa]t|jutro"
    r"|przysz[łl]y tydzie|m[åa]ndag|tisdag|onsdag|torsdag|fredag|imorgon|n[äa]sta vecka",
    re.IGNORECASE,
)
