"""Calls to action and page-furniture labels, per language: the text side of in-body junk.

Data only. `LABELS` open a block that is an insert, not a paragraph ("Read more: …", "Anzeige");
`PHRASES` are what subscription, newsletter, donation, app, feedback and affiliate boxes say.
Both are regular-expression sources, matched case-insensitively; the rules that use them
(`narrate.article.junk`) only apply them to short blocks.
"""

from __future__ import annotations

# A label stands alone or before a colon or dash: "Advertisement", "Anzeige –", "Tags:", never
# the first word of a sentence ("Advertisement spending rose", "Share prices fell").
LABELS: dict[str, tuple[str, ...]] = {
    "en": (
        r"read (?:more|also|next)\b",
        r"also read\b",
        r"related(?: stories| articles| coverage| content)?\s*:",
        r"see also\b",
        r"more (?:on|about) this (?:story|topic)\s*:",
        r"(?:watch|video|listen|gallery|photos?)\s*:",
        r"advertisement(?:\s*[:|–—-]|\s*$)",
        r"sponsored(?: content)?(?:\s*[:|–—-]|\s*$)|sponsored by\b",
        r"paid (?:content|partnership|post)(?:\s*[:|–—-]|\s*$)",
        r"(?:pinned|key event|breaking|live)$",
        # Live-blog stamps relative to now, which are wrong by the time anyone listens.
        r"(?:updated |posted )?(?:\d+|an?|one) (?:sec|min|minute|hr|hour|day)s? ago$",
        r"just now$",
        r"(?:share(?: this| on| via)?|load more|show more|view all)(?:\s*[:|–—-]|\s*$)",
        r"don[’']?t miss\b",
        r"like this (?:story|article)\?",
        r"you (?:may|might) also like\b",
        r"listen (?:to \w+ live|live|back|again)\b",
        # Credit lines at the end of wire copy: who reported, who edited, where to write.
        r"\(?(?:additional |with )?reporting by\b",
        r"(?:editing|edited|compiled) by\b",
        r"(?:write to|reach|contact) [^.]{0,60}?(?:\S+@\S+\.\w|@\w|\btwitter\b)",
        r"follow (?:us|him|her|them|@\w+|[\w .]{1,40}?) on (?:twitter|facebook|instagram|x|youtube"
        r"|tiktok|linkedin|threads|bluesky)\b",
        r"tags(?:\s*[:|–—-]|\s*$)",
    ),
    "de": (
        r"lesen sie (?:auch|mehr|hier)\b",
        r"(?:mehr zum thema|auch interessant|das könnte sie auch interessieren)\b",
        r"(?:anzeige|werbung)(?:\s*[:|–—-]|\s*$)",
        r"(?:aktualisiert )?vor (?:\d+|einer?) (?:sek|min|minute|minuten|std|stunde|stunden)\.?$",
        r"(?:angepinnt|wichtiges ereignis)$",
        r"(?:video|bildergalerie|fotostrecke|hören sie)\s*:",
    ),
    "es": (
        r"(?:lee|lea) (?:también|además|más)\b",
        r"(?:te puede interesar|también te puede interesar|relacionad[oa]s?\s*:)",
        r"(?:publicidad|contenido patrocinado)(?:\s*[:|–—-]|\s*$)",
        r"hace (?:\d+|un|una) (?:min|minutos?|h|horas?)$",
        r"(?:fijado|destacado)$",
    ),
    "fr": (
        r"(?:à lire aussi|lire aussi|à lire également|voir aussi)\b",
        r"(?:publicité|contenu sponsorisé|contenu partenaire)(?:\s*[:|–—-]|\s*$)",
        r"il y a (?:\d+|une?) (?:min|minutes?|h|heures?)$",
        r"(?:épinglé|moment clé)$",
    ),
    "it": (
        r"(?:leggi anche|leggi pure|potrebbe interessarti)\b",
        r"(?:pubblicità|contenuto sponsorizzato)(?:\s*[:|–—-]|\s*$)",
        r"(?:\d+|un) (?:min|minuti|minuto|ora|ore) fa$",
        r"(?:in evidenza|fissato)$",
    ),
    "pt": (
        r"(?:leia também|veja também|leia mais|saiba mais)\b",
        r"(?:publicidade|conteúdo patrocinado)(?:\s*[:|–—-]|\s*$)",
        r"há (?:\d+|um|uma) (?:min|minutos?|h|horas?)$",
        r"(?:fixado|destaque)$",
    ),
}

PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        r"\bsubscri(?:be|ption|ber)\b",
        r"\bsign (?:up|in)\b",
        r"\bnewsletters?\b",
        r"\b(?:free|premium) articles?\b",
        r"\bunlimited (?:digital )?access\b",
        r"\bmembership\b|\bmember-only\b|\bbecome a member\b",
        r"\bsupport (?:local|independent|our|quality) (?:journalism|reporting|newsroom)\b",
        r"\b(?:donate|donation|contribute today|make a contribution)\b",
        r"\bdownload (?:the|our) app\b",
        r"\bfollow (?:us|the \w+ on)\b",
        r"\blisten to (?:this article|our podcast)\b",
        r"\bwherever you get your podcasts\b",
        r"\b\d+\s*min(?:ute)?s? read\b",
        r"\breading time\b",
        r"\bwas this (?:article|story|page) (?:helpful|useful)\b",
        r"\breport an error\b",
        r"\bprinter-friendly\b",
        r"\be-?mail this (?:story|article)\b",
        r"\bshare (?:this|on)\b",
        r"\b(?:earn|receive) (?:a )?commission\b",
        r"\breader-supported\b",
        r"\baffiliate links?\b",
        r"\bmessage and data rates\b",
        r"\btext \w+ to \d+\b",
        r"\bget (?:instant )?alerts\b",
        r"\bprices were accurate\b",
        r"\bsend us your (?:photos|videos|stories)\b",
        r"\bturn on notifications\b",
        r"\b(?:funded|supported) by (?:our )?readers\b",
        r"\bhelp us (?:keep|continue|do)\b",
        r"\bclick here\b",
        r"\bfollow (?:us|him|her|them|@\w+|[\w .]{1,40}?) on (?:twitter|facebook|instagram|x"
        r"|youtube|tiktok|linkedin|threads|bluesky)\b",
        r"\bshare (?:it|this) with\b",
        r"\b(?:may|can) be reached at\b",
        r"\bcopyright\b|©|ⓒ",
        r"\bcontributed to this (?:report|story|article)\b",
        r"\b(?:posted|filed) (?:by|in|under)\b|\bpublicado por\b",
        r"\b(?:categor(?:y|ies|ia|ía|ie)|tags)\s*:",
        # Tabloid teaser links carry a bracketed label: "… jibe [INSIGHT]".
        r"\[[A-Z]{4,}\].*\[[A-Z]{4,}\]",
        r"\bfor as little as\b",
        r"\buse the (?:promo )?code\b",
        # A price offer in any of the languages: "for $5 a month", "pour 1 € par mois".
        r"[$€£]\s?\d+(?:[.,]\d+)?\s?(?:€\s)?(?:a|per|par|pro|al|por|im|au) (?:month|year|mois|an|"
        r"monat|jahr|mes|año|mese|anno|mês)\b",
    ),
    "de": (
        r"\babonn(?:ieren|ement|enten)\b",
        r"\bnewsletter\b",
        r"\bkostenlose[n]? artikel\b",
        r"\bjetzt (?:anmelden|registrieren|testen|lesen)\b",
        r"\bwar dieser artikel hilfreich\b",
        r"\bfolgen sie uns\b",
        r"\bunterstützen sie\b",
        r"\bmitglied werden\b",
        r"\bbereits abonnent\b",
    ),
    "es": (
        r"\bsuscr[ií](?:b|pc)\w*",
        r"\bbolet[ií]n\b",
        r"\bs[ií]guenos\b",
        r"\bhazte (?:socio|miembro)\b",
        r"\bapoya (?:el|nuestro) periodismo\b",
        r"\bart[ií]culos? gratuitos?\b",
        r"\binicia sesi[oó]n\b",
        r"\b(?:canal de whatsapp|descarga (?:la|nuestra) app)\b",
        r"\bte ha (?:resultado|parecido) [uú]til\b",
    ),
    "fr": (
        r"\babonn(?:ez|ement|é)\w*",
        r"\binscri(?:vez|re|ption)\w*",
        r"\bnewsletter\b",
        r"\bsoutenez\b",
        r"\bsuivez-nous\b",
        r"\bfaire un don\b",
        r"\bvous a-t-il été utile\b",
        r"\bd[ée]j[àa] abonn[ée]\b",
        r"\bne vit que de ses lecteurs\b",
    ),
    "it": (
        r"\babbona(?:ti|mento)\b",
        r"\biscriviti\b",
        r"\bnewsletter\b",
        r"\bseguici\b",
        r"\bsostieni\b",
        r"\bfai una donazione\b",
        r"\bin collaborazione con\b",
        r"\bti è stato utile\b",
        r"\bun piccolo contributo\b",
    ),
    "pt": (
        r"\bassin(?:e|ante|atura)\b",
        r"\binscreva-se\b",
        r"\bnewsletter\b",
        r"\bsiga-nos\b",
        r"\bapoie\b",
        r"\bj[áa] [ée] assinante\b",
        r"\bbaixe (?:o|nosso) app\b",
    ),
}

# Words that address the reader: calls to action do, news sentences rarely do outside quotes.
READER: tuple[str, ...] = (
    "you|your|yours|we|us|our",
    "sie|ihnen|ihr|ihre|wir|uns|unser|unsere|unseren|du|dein|deine",
    "tu|te|ti|usted|ustedes|nos|nuestro|nuestra|nuestros",
    "vous|votre|vos|nous|notre|nos",
    "ci|tuo|tua|tuoi|vostro|nostro|nostra|nostri",
    "você|vocês|seu|sua|nosso|nossa",
)

# What a paywall box says where the teaser stops.
KEEP_READING: tuple[str, ...] = (
    r"\bto (?:read|continue reading) the (?:full|whole|rest of the) (?:story|article)\b",
    r"\b(?:subscribe|sign in|log in|register) to (?:continue|keep) reading\b",
    r"\bcontinue reading with (?:a|your) subscription\b",
    r"\byou have reached your (?:limit|maximum) of free articles\b",
    r"\b(?:jetzt |lesen sie )?weiterlesen mit\b|\bder vollständige artikel ist\b",
    r"\bpara (?:seguir|continuar) leyendo\b",
    r"\bla suite (?:de cet article )?est réservée aux abonnés\b|\bil vous reste \d+\s?%",
    r"\bper continuare a leggere\b",
    r"\bpara continuar (?:lendo|a ler)\b",
)

# Words of a date or time line ("Published Monday, May 13, 2025 at 3:14 p.m."), besides digits.
DATE_WORDS = frozenset(
    str.split(
        """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday published updated posted last modified on at am pm a m p et est edt gmt utc
    bst cet cest ist amt
    januar februar märz mai juni juli oktober dezember montag dienstag mittwoch donnerstag
    freitag samstag sonntag veröffentlicht aktualisiert am um uhr
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    lunes martes miércoles jueves viernes sábado domingo publicado actualizado de del a las
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre lundi
    mardi mercredi jeudi vendredi samedi dimanche publié mis à jour le h
    gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
    lunedì martedì mercoledì giovedì venerdì sabato domenica pubblicato aggiornato il alle ore
    janeiro fevereiro março maio junho julho setembro outubro novembro dezembro segunda terça
    quarta quinta sexta feira sábado domingo atualizado em às"""
    )
)
