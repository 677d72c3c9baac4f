"""A generated, realistic B2B portal for the sandbox (`sandbox --demo-portal SIZE --seed N`).

`generate_portal(size, seed, now)` returns a fixture dict in the fixture (snapshot) format with
`size` feedback submissions. The same (size, seed, now) always gives the same portal: only one
`random.Random(seed)` is drawn from, and nothing depends on set or hash order.

Shape (ratios of `size`, with floors so tiny portals still hold every case):
- owners ~ sqrt(size) / 3 (3..300), ids "101".., ~10% `"archived": true` (deactivated users) and
  still owning some companies and contacts, so owner routing has to skip them;
- contacts ~ 0.45 x size, companies ~ contacts / 6 with a heavy-tailed size (a few accounts with
  20+ contacts, most with 1-5); ~70% of contacts have an owner, ~8% no company, ~5% 2-3 companies
  (one primary, or, for one in ten of those, none primary);
- ~1% of contacts are merge losers, each merged into a distinct survivor (no chains, never into a
  deleted contact); the loser carries the survivor's name and a second e-mail address, as duplicates do;
  ~0.3% of contacts are deleted (`"archived": true`); losers, survivors and deleted contacts all answered;
- submissions: ~60% NPS, ~25% CSAT, ~15% CES over the two years before `now` (recent months denser),
  on HubSpot's scales as strings (NPS "0".."10", CSAT "0".."2", CES "1".."7"), `hs_response_group`
  consistent with the value; NPS ~45% promoters / 30% passives / 25% detractors overall, shifted per
  company (and drifting over time) so company scores and trends differ; ~3% anonymous; comments in
  English, German, French, Spanish, Japanese and Portuguese, following the contact's culture;
- ~0.5% of submissions carry an unusable NPS value ("", "N/A", "11", "-1", "7.5" or no `hs_value`) and
  a few carry padded ones (" 8 ") that are valid once stripped;
- at least max(3, 1% of NPS answers) detractors with comments in the 14 days before `now`, so follow-up
  tasks are due on a fresh demo;
- ~2% of the NPS-scale answers come from a custom survey: `hs_survey_type` "CUSTOM", `hs_survey_id`
  "custom-nps-1" (CUSTOM_NPS_SURVEY_ID); they count as NPS only when the connector is configured with
  that survey id.

Ids are numeric strings in disjoint ranges so a reader can tell the type from the id: owners 101..,
companies 200001.., contacts 300001.., submissions 400001.. (the ranges widen by powers of ten for
portals too big for them). Submission ids increase with submission time, as HubSpot's do.
Domains use the reserved `.example` TLD so no generated address can reach a real mailbox.
"""

from __future__ import annotations

import math
import random
import unicodedata
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any, NamedTuple

__all__ = ["CUSTOM_NPS_SURVEY_ID", "generate_portal"]

CUSTOM_NPS_SURVEY_ID = "custom-nps-1"

_TWO_YEARS_S = 730 * 86400
_RECENT_S = 14 * 86400

# culture: (pick weight, comment language, legal forms, first names, last names).
# "Display|ascii" entries give the romanisation used in e-mail addresses.
_CULTURES: dict[str, tuple[int, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (30, "en", ("Inc.", "Ltd", "LLC"),
           ("James", "Emma", "Olivia", "Liam", "Sophie", "Noah", "Grace", "Ethan", "Owen", "Zoë"),
           ("Smith", "Johnson", "Brown", "Taylor", "Walker", "O'Brien", "Clarke", "Hughes", "Wright")),
    "de": (15, "de", ("GmbH", "AG"),
           ("Lukas", "Anna", "Jürgen", "Sabine", "Felix", "Lena", "Matthias", "Katrin", "Jonas", "Birgit"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Krüger", "Groß")),
    "fr": (10, "fr", ("SAS", "SA"),
           ("Camille", "Lucas", "Chloé", "Hugo", "Léa", "Théo", "Manon", "François", "Inès", "Étienne"),
           ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "Faure")),
    "es": (10, "es", ("S.L.", "S.A."),
           ("José", "María", "Javier", "Lucía", "Alejandro", "Carmen", "Sofía", "Andrés", "Pilar"),
           ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Muñoz", "Díaz")),
    "ja": (8, "ja", ("K.K.",),
           ("陽菜|Hina", "蓮|Ren", "結衣|Yui", "大翔|Hiroto", "Yuki", "Haruto", "Aoi", "Sakura", "Kenji"),
           ("佐藤|Sato", "鈴木|Suzuki", "高橋|Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto")),
    "pt": (8, "pt", ("Ltda.", "S.A."),
           ("João", "Ana", "Gonçalo", "Beatriz", "Thiago", "Mariana", "Luís", "Inês", "Rafael"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Gonçalves", "Araújo", "Lima")),
    "hi": (8, "en", ("Pvt Ltd",),
           ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Diya", "Arjun", "Kavya", "Sanjay"),
           ("Sharma", "Patel", "Gupta", "Iyer", "Reddy", "Nair", "Singh", "Banerjee", "Mehta")),
    "zh": (6, "en", ("Co., Ltd.",),
           ("Wei", "Fang", "Jun", "Xiu Ying", "Hao", "Li Na", "Chen", "Mei", "Yong"),
           ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu")),
    "pl": (5, "en", ("Sp. z o.o.",),
           ("Jakub", "Zofia", "Łukasz", "Małgorzata", "Piotr", "Agnieszka", "Tomasz", "Katarzyna"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński")),
}  # fmt: skip
_CULTURE_KEYS = list(_CULTURES)
_CULTURE_CUM = list(accumulate(c[0] for c in _CULTURES.values()))

_COMPANY_PREFIX = (
    "Acme", "Atlas", "Nordlicht", "Bluewave", "Sakura", "Horizon", "Cedar", "Quantum", "Iberia", "Lumen",
    "Vertex", "Harbor", "Alpen", "Sol", "Granite", "Aurora", "Pioneer", "Rio", "Kestrel", "Maple",
    "Orion", "Falcon", "Tidewater", "Silverline", "Evergreen", "Northstar", "Copper", "Lotus", "Summit",
    "Meridian", "Bright", "Oak", "Zephyr", "Polar", "Crescent", "Sierra", "Beacon", "Ember", "Delta", "Fjord",
)  # fmt: skip
_COMPANY_CORE = (
    "Logistics", "Systems", "Analytics", "Health", "Foods", "Robotics", "Energy", "Media", "Software",
    "Textiles", "Pharma", "Consulting", "Freight", "Labs", "Retail", "Insurance", "Motors", "Finance",
    "Networks", "Engineering", "Hospitality", "Biotech", "Packaging", "Travel", "Education",
)  # fmt: skip
_FREEMAIL = ("mail.example", "inbox.example", "post.example")
_VENDOR_DOMAIN = "demo-vendor.example"

# (survey id, name, type, pick weight within its type)
_SURVEYS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "NPS": (("1101", "Quarterly NPS", 6), ("1102", "Onboarding NPS", 2), ("1103", "Renewal NPS", 2)),
    "CSAT": (("1201", "Support CSAT", 7), ("1202", "Training CSAT", 3)),
    "CES": (("1301", "Support ticket CES", 6), ("1302", "Self-service CES", 4)),
    "CUSTOM": ((CUSTOM_NPS_SURVEY_ID, "Product feedback (custom NPS)", 1),),
}
_CHANNELS = ("EMAIL", "LINK", "WEB")
_CHANNEL_CUM = (75, 90, 100)

# Base shares (promoter, passive, detractor) before the company/contact mood shifts them.
_BASE_MIX = {"NPS": (0.45, 0.33, 0.22), "CSAT": (0.65, 0.23, 0.12), "CES": (0.50, 0.30, 0.20)}
# Values within a category: low detractor scores are rarer than 5s and 6s, as in real NPS data.
_VALUES = {
    ("NPS", "DETRACTOR"): (("0", "1", "2", "3", "4", "5", "6"), (2, 1, 2, 3, 5, 8, 10)),
    ("NPS", "PASSIVE"): (("7", "8"), (45, 55)),
    ("NPS", "PROMOTER"): (("9", "10"), (45, 55)),
    ("CSAT", "DETRACTOR"): (("0",), (1,)),
    ("CSAT", "PASSIVE"): (("1",), (1,)),
    ("CSAT", "PROMOTER"): (("2",), (1,)),
    ("CES", "DETRACTOR"): (("1", "2", "3"), (2, 3, 5)),
    ("CES", "PASSIVE"): (("4", "5"), (1, 1)),
    ("CES", "PROMOTER"): (("6", "7"), (5, 4)),
}
_COMMENT_RATE = {"DETRACTOR": 0.55, "PASSIVE": 0.25, "PROMOTER": 0.30}
_INVALID_VALUES: tuple[str | None, ...] = ("", "N/A", "11", "-1", "7.5", None)  # None: no hs_value
_PADDED_VALUES = (" 8 ", "9 ", " 10")

# language: (promoter, passive, detractor) comments. Quotes, a line break and an emoji are on purpose:
# they have to survive task bodies, CSV reports and JSON.
_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Great support, fast answers.", "The new reporting saves us hours every week.", "👍",
         "Our account manager is fantastic."),
        ("Does the job, but the UI feels dated.", "Fine overall; onboarding took longer than promised."),
        ("Support said \"next week\" three times.\nStill waiting.", "Too expensive for what we use.",
         "The last release broke our export and nobody warned us.", "Invoices are wrong again."),
    ),
    "de": (
        ("Sehr zuverlässig, der Support ist top.", "Schnelle Antworten, gerne weiter so."),
        ("Grundsätzlich gut, aber die Preise sind gestiegen.", "Okay, die Bedienung ist etwas umständlich."),
        ("Seit dem Update funktioniert der Export nicht mehr.", "Rechnungen sind zum dritten Mal falsch."),
    ),
    "fr": (
        ("Équipe très réactive, merci !", "Produit clair et efficace."),
        ("Correct, mais l'interface n'est pas intuitive.", "Bien, sans plus."),
        ("Aucune réponse du support depuis deux semaines.", "Trop de bugs depuis la dernière version."),
    ),
    "es": (
        ("Excelente servicio, muy recomendable.", "El equipo de soporte es muy amable."),
        ("Está bien, aunque le faltan funciones.", "Correcto, pero la formación fue corta."),
        ("El soporte tarda demasiado en responder.", "Hemos tenido caídas del servicio cada semana."),
    ),
    "ja": (
        ("サポートの対応がとても早いです。", "とても使いやすいです。"),
        ("悪くはないですが、価格が少し高いです。", "機能は十分ですが、画面が分かりにくいです。"),
        ("問い合わせへの返信が遅すぎます。", "アップデート後にエラーが頻発しています。"),
    ),
    "pt": (
        ("Ótimo atendimento, recomendo!", "A plataforma facilitou muito o nosso trabalho."),
        ("Bom, mas a implantação demorou.", "Atende, mas poderia ser mais simples."),
        ("O suporte não resolve nossos chamados.", "Cobrança errada pelo segundo mês seguido."),
    ),
}  # fmt: skip
_LANGUAGES = list(_COMMENTS)
_GROUP_INDEX = {"PROMOTER": 0, "PASSIVE": 1, "DETRACTOR": 2}


def generate_portal(size: int, seed: int = 0, now: datetime | None = None) -> dict[str, Any]:
    """Generate a realistic portal fixture with `size` feedback submissions.

    `now` (default: the current UTC time truncated to the hour; a naive time is read as UTC) is the
    moment the snapshot is taken: every submission lies in the two years before it, none after.
    The result is deterministic for a given (size, seed, now).
    """
    if size < 1:
        raise ValueError(f"a demo portal needs at least one submission, got size={size}")
    if now is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    rng = random.Random(seed)
    n_contacts = max(8, round(size * 0.45))
    n_companies = max(3, round(n_contacts / 6))
    n_owners = min(300, max(3, round(math.sqrt(size) / 3)))
    # Widen the id ranges for huge portals so the types never overlap.
    block = 100_000
    while max(n_companies, n_contacts) >= block:
        block *= 10
    owners = _owners(rng, n_owners)
    archived_owner_ids = [o["id"] for o in owners if o.get("archived")]
    owner_ids = [o["id"] for o in owners]
    companies, company_culture = _companies(rng, n_companies, 2 * block + 1, owner_ids, archived_owner_ids)
    contacts, contact_home, contact_lang = _contacts(
        rng, n_contacts, 3 * block + 1, companies, company_culture, owner_ids, archived_owner_ids
    )
    losers, survivors, deleted = _merges_and_deletions(rng, contacts)
    submissions = _submissions(
        rng,
        size,
        4 * block + 1,
        int(now.timestamp()),
        contacts,
        contact_home,
        contact_lang,
        n_companies,
        required=losers + survivors + deleted,
        excluded_recent=losers + deleted,
    )
    return {
        "owners": owners,
        "companies": companies,
        "contacts": contacts,
        "merges": [
            {"from": contacts[a]["id"], "into": contacts[b]["id"]} for a, b in zip(losers, survivors, strict=True)
        ],
        "feedback_submissions": submissions,
    }


def _ascii(name: str) -> str:
    """The romanised form of a name for e-mail addresses ("Jürgen" -> "jurgen", "陽菜|Hina" -> "hina")."""
    if "|" in name:
        name = name.split("|", 1)[1]
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("Ł", "L").replace("ł", "l"))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


def _display(name: str) -> str:
    return name.split("|", 1)[0]


def _person(rng: random.Random, culture: str) -> tuple[str, str]:
    _, _, _, firsts, lasts = _CULTURES[culture]
    return rng.choice(firsts), rng.choice(lasts)


def _pick_culture(rng: random.Random) -> str:
    return rng.choices(_CULTURE_KEYS, cum_weights=_CULTURE_CUM)[0]


def _unique(taken: dict[str, int], local: str, domain: str) -> str:
    """A unique e-mail address: the second "ann.lee" at a domain becomes "ann.lee2"."""
    key = f"{local}@{domain}"
    count = taken.get(key, 0) + 1
    taken[key] = count
    return key if count == 1 else f"{local}{count}@{domain}"


def _owners(rng: random.Random, n: int) -> list[dict[str, Any]]:
    archived = rng.sample(range(n), max(1, round(n * 0.1)))
    emails: dict[str, int] = {}
    owners: list[dict[str, Any]] = []
    for i in range(n):
        first, last = _person(rng, _pick_culture(rng))
        owner: dict[str, Any] = {
            "id": str(101 + i),
            "email": _unique(emails, f"{_ascii(first)}.{_ascii(last)}", _VENDOR_DOMAIN),
            "firstName": _display(first),
            "lastName": _display(last),
        }
        owners.append(owner)
    for i in sorted(archived):
        owners[i]["archived"] = True
    return owners


def _companies(
    rng: random.Random, n: int, first_id: int, owner_ids: list[str], archived_owner_ids: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    names: dict[str, int] = {}
    companies: list[dict[str, Any]] = []
    cultures: list[str] = []
    for i in range(n):
        culture = _pick_culture(rng)
        base = f"{rng.choice(_COMPANY_PREFIX)} {rng.choice(_COMPANY_CORE)}"
        seen = names.get(base, 0) + 1
        names[base] = seen
        label = base if seen == 1 else f"{base} {seen}"
        props = {
            "name": f"{label} {rng.choice(_CULTURES[culture][2])}",
            "domain": "-".join(label.lower().split()) + ".example",
        }
        # ~5% of companies have no owner: unassigned accounts exist in every real portal.
        if rng.random() >= 0.05:
            props["hubspot_owner_id"] = rng.choice(owner_ids)
        companies.append({"id": str(first_id + i), "properties": props})
        cultures.append(culture)
    # Routing must meet an archived owner at least once, whatever the draw.
    if not any(c["properties"].get("hubspot_owner_id") in archived_owner_ids for c in companies):
        companies[rng.randrange(n)]["properties"]["hubspot_owner_id"] = archived_owner_ids[0]
    return companies, cultures


def _contacts(
    rng: random.Random,
    n: int,
    first_id: int,
    companies: list[dict[str, Any]],
    company_culture: list[str],
    owner_ids: list[str],
    archived_owner_ids: list[str],
) -> tuple[list[dict[str, Any]], list[int | None], list[str]]:
    """Contacts, each one's home company index (None: no company) and comment language."""
    n_companies = len(companies)
    with_company = [rng.random() >= 0.08 for _ in range(n)]
    n_with = sum(with_company)
    # Heavy-tailed account sizes: every company gets one contact first (when there are enough), the
    # rest go by Pareto weights, capped so no single account swallows the portal.
    weights = [min(rng.paretovariate(1.1), 40.0) for _ in range(n_companies)]
    cum = list(accumulate(weights))
    homes = list(range(min(n_with, n_companies)))
    homes += rng.choices(range(n_companies), cum_weights=cum, k=n_with - len(homes))
    rng.shuffle(homes)
    emails: dict[str, int] = {}
    contacts: list[dict[str, Any]] = []
    home_of: list[int | None] = []
    langs: list[str] = []
    next_home = iter(homes)
    for i in range(n):
        home = next(next_home) if with_company[i] else None
        # People mostly work for companies of their own country.
        local = home is not None and rng.random() < 0.6
        culture = company_culture[home] if local and home is not None else _pick_culture(rng)
        first, last = _person(rng, culture)
        domain = companies[home]["properties"]["domain"] if home is not None else rng.choice(_FREEMAIL)
        props = {
            "email": _unique(emails, f"{_ascii(first)}.{_ascii(last)}", domain),
            "firstname": _display(first),
            "lastname": _display(last),
        }
        if rng.random() < 0.70:
            company_owner = companies[home]["properties"].get("hubspot_owner_id") if home is not None else None
            owner = company_owner if company_owner and rng.random() < 0.6 else rng.choice(owner_ids)
            props["hubspot_owner_id"] = owner
        links: list[dict[str, Any]] = []
        if home is not None:
            links.append({"id": companies[home]["id"], "primary": True})
            if rng.random() < 0.05 / 0.92:  # ~5% of all contacts have 2-3 companies
                extras = [e for e in rng.sample(range(n_companies), 3) if e != home]
                for extra in extras[: rng.choice((1, 2))]:
                    links.append({"id": companies[extra]["id"], "primary": False})
                # One in ten of those has no primary at all: HubSpot allows it.
                if rng.random() < 0.1:
                    links[0]["primary"] = False
                rng.shuffle(links)
        contacts.append({"id": str(first_id + i), "properties": props, "companies": links})
        home_of.append(home)
        langs.append(_CULTURES[culture][1])
    if not any(c["properties"].get("hubspot_owner_id") in archived_owner_ids for c in contacts):
        contacts[rng.randrange(n)]["properties"]["hubspot_owner_id"] = archived_owner_ids[0]
    # Likewise a contact with several companies and none primary, whatever the draw.
    if not any(len(c["companies"]) > 1 and not any(x["primary"] for x in c["companies"]) for c in contacts):
        index = rng.choice([i for i, home in enumerate(home_of) if home is not None] or [0])
        home = home_of[index] or 0
        other = (home + 1 + rng.randrange(n_companies - 1)) % n_companies
        contacts[index]["companies"] = [
            {"id": companies[home]["id"], "primary": False},
            {"id": companies[other]["id"], "primary": False},
        ]
    return contacts, home_of, langs


def _merges_and_deletions(rng: random.Random, contacts: list[dict[str, Any]]) -> tuple[list[int], list[int], list[int]]:
    """Pick merge losers, their survivors and deleted contacts: three disjoint sets of indices."""
    n = len(contacts)
    n_merges = max(1, round(n * 0.01))
    n_deleted = max(1, round(n * 0.003))
    picked = rng.sample(range(n), 2 * n_merges + n_deleted)
    losers, survivors, deleted = picked[:n_merges], picked[n_merges : 2 * n_merges], picked[2 * n_merges :]
    for loser, survivor in zip(losers, survivors, strict=True):
        # A duplicate looks like the survivor: same name, another address.
        props, kept = contacts[loser]["properties"], contacts[survivor]["properties"]
        props["firstname"], props["lastname"] = kept["firstname"], kept["lastname"]
        local = kept["email"].split("@", 1)[0]
        props["email"] = f"{local}.{contacts[loser]['id']}@{rng.choice(_FREEMAIL)}"
    for index in deleted:
        contacts[index]["archived"] = True
    return losers, survivors, deleted


class _Draft(NamedTuple):
    """A submission before ids are assigned in time order."""

    ts: int  # epoch seconds
    order: int  # draw order: breaks ties on ts deterministically
    contact: int | None  # contact index; None: anonymous
    survey_type: str
    group: str  # "" when the value is unusable
    value: str | None  # None: no hs_value at all
    comment: str | None


def _mood_category(rng: random.Random, survey_type: str, mood: float) -> str:
    """Draw PROMOTER/PASSIVE/DETRACTOR: a positive mood shifts weight from detractors to promoters."""
    promoter, passive, detractor = _BASE_MIX[survey_type]
    promoter *= math.exp(0.9 * mood)
    detractor *= math.exp(-0.9 * mood)
    r = rng.random() * (promoter + passive + detractor)
    if r < promoter:
        return "PROMOTER"
    return "PASSIVE" if r < promoter + passive else "DETRACTOR"


def _value(rng: random.Random, survey_type: str, group: str) -> str:
    values, weights = _VALUES[(survey_type, group)]
    return values[0] if len(values) == 1 else rng.choices(values, weights=weights)[0]


def _nps_group(value: str) -> str:
    score = int(value)
    return "DETRACTOR" if score <= 6 else "PASSIVE" if score <= 8 else "PROMOTER"


def _submissions(
    rng: random.Random,
    size: int,
    first_id: int,
    now_s: int,
    contacts: list[dict[str, Any]],
    home_of: list[int | None],
    langs: list[str],
    n_companies: int,
    required: list[int],
    excluded_recent: list[int],
) -> list[dict[str, Any]]:
    n_contacts = len(contacts)
    # Company mood and drift make company scores and trends differ; a contact varies around its company.
    company_mood = [rng.gauss(0.0, 0.6) for _ in range(n_companies)]
    company_drift = [rng.gauss(0.0, 0.5) for _ in range(n_companies)]
    contact_mood = [rng.gauss(company_mood[h], 0.4) if h is not None else rng.gauss(0.0, 0.7) for h in home_of]
    # About a third of contacts never answer; the others answer at very different rates.
    activity = [0.0 if rng.random() < 0.35 else min(rng.lognormvariate(0.0, 0.7), 5.0) for _ in range(n_contacts)]
    for index in required:
        activity[index] = max(activity[index], 0.5)
    activity_cum = list(accumulate(activity))

    # Fresh detractors with comments (0.6% of all = ~1% of the NPS answers, on top of the natural ones),
    # on contacts that exist and were not merged away, so a fresh demo has follow-up tasks to create.
    n_recent = min(size, max(3, math.ceil(0.006 * size)))
    excluded = [False] * n_contacts
    for index in excluded_recent:
        excluded[index] = True
    recent_pool = [i for i in range(n_contacts) if not excluded[i]]
    recent_who = [rng.choice(recent_pool) for _ in range(n_recent)]

    rest = size - n_recent
    n_anonymous = round(rest * 0.03)
    forced = required[: max(0, rest - n_anonymous)]
    who: list[int | None] = list(forced) + [None] * n_anonymous
    who += rng.choices(range(n_contacts), cum_weights=activity_cum, k=rest - len(who))
    rng.shuffle(who)

    p_nps = max(0.0, (0.6 * size - n_recent) / rest) if rest else 0.0
    drafts: list[_Draft] = []
    nps_slots: list[int] = []
    for i, contact in enumerate(who):
        r = rng.random()
        survey_type = "NPS" if r < p_nps else "CSAT" if r < p_nps + (1 - p_nps) * 0.625 else "CES"
        age = 60 + int((_TWO_YEARS_S - 60) * rng.random() ** 1.25)  # recent months denser
        if contact is None:
            mood = rng.gauss(0.0, 0.7)
            lang = rng.choice(_LANGUAGES)
        else:
            home = home_of[contact]
            drift = company_drift[home] * (0.5 - age / _TWO_YEARS_S) if home is not None else 0.0
            mood, lang = contact_mood[contact] + drift, langs[contact]
        group = _mood_category(rng, survey_type, mood)
        value = _value(rng, survey_type, group)
        comment = rng.choice(_COMMENTS[lang][_GROUP_INDEX[group]]) if rng.random() < _COMMENT_RATE[group] else None
        if survey_type == "NPS":
            nps_slots.append(len(drafts))
            if rng.random() < 0.02:
                survey_type = "CUSTOM"
        drafts.append(_Draft(now_s - age, i, contact, survey_type, group, value, comment))
    for j, contact in enumerate(recent_who):
        age = rng.randint(3600, _RECENT_S - 12 * 3600)
        value = _value(rng, "NPS", "DETRACTOR")
        comment = rng.choice(_COMMENTS[langs[contact]][2])
        drafts.append(_Draft(now_s - age, rest + j, contact, "NPS", "DETRACTOR", value, comment))

    # Unusable and padded values go on ordinary NPS answers, never on the guaranteed fresh detractors.
    odd = rng.sample(nps_slots, min(len(nps_slots), max(1, round(0.005 * size)) + max(2, round(0.001 * size))))
    n_invalid = max(1, round(0.005 * size))
    for k, slot in enumerate(odd):
        if k < n_invalid:
            bad = _INVALID_VALUES[k % len(_INVALID_VALUES)]
            drafts[slot] = drafts[slot]._replace(group="", value=bad)
        else:
            padded = _PADDED_VALUES[(k - n_invalid) % len(_PADDED_VALUES)]
            drafts[slot] = drafts[slot]._replace(group=_nps_group(padded.strip()), value=padded)

    drafts.sort(key=lambda d: (d.ts, d.order))  # ids grow with submission time, as HubSpot's do
    out: list[dict[str, Any]] = []
    for k, d in enumerate(drafts):
        surveys = _SURVEYS[d.survey_type]
        survey_id, survey_name, _weight = (
            surveys[0] if len(surveys) == 1 else rng.choices(surveys, weights=[s[2] for s in surveys])[0]
        )
        props: dict[str, str] = {
            "hs_survey_type": d.survey_type,
            "hs_survey_id": survey_id,
            "hs_survey_name": survey_name,
            "hs_survey_channel": rng.choices(_CHANNELS, cum_weights=_CHANNEL_CUM)[0],
        }
        if d.value is not None:
            props["hs_value"] = d.value
        if d.group:  # HubSpot derives the group from a valid value only
            props["hs_response_group"] = d.group
        if d.comment is not None:
            props["hs_content"] = d.comment
        props["hs_submission_timestamp"] = datetime.fromtimestamp(d.ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record: dict[str, Any] = {"id": str(first_id + k)}
        if d.contact is not None:
            record["contact_id"] = contacts[d.contact]["id"]
        record["properties"] = props
        out.append(record)
    return out
