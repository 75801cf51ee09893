"""Who appears in the demo: the brand's accounts, its care team, and the names customers use.

Everything here is invented. Customer handles follow the sandbox CLI's convention for user ids
(``user-<handle>``), so `socialdesk sandbox post --from @<handle>` continues a demo customer's
conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialdesk.domain.types import Role

__all__ = [
    "ACCOUNTS",
    "ADMIN_EMAIL",
    "BRAND",
    "FIRST_NAMES",
    "HANDLE_NOUNS",
    "HANDLE_WORDS",
    "INFLUENCERS",
    "LAST_NAMES",
    "STAFF",
    "TEAMS",
    "BrandAccount",
    "Influencer",
    "StaffMember",
]

BRAND = "Brightwave"
ADMIN_EMAIL = "admin@socialdesk.test"


@dataclass(frozen=True, slots=True)
class BrandAccount:
    name: str
    handle: str


# The brand's main account gets most public mentions; the care account most private messages.
ACCOUNTS = (
    BrandAccount(name="Brightwave", handle="brightwave"),
    BrandAccount(name="Brightwave Care", handle="brightwave_care"),
)

TEAMS = ("Billing", "Tech support", "Social")


@dataclass(frozen=True, slots=True)
class StaffMember:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]
    languages: tuple[str, ...] = ("en",)

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.replace("'", "").split()[:2]).upper()


STAFF = (
    StaffMember(ADMIN_EMAIL, "Priya Raman", Role.ADMIN, ()),
    StaffMember("marcus.webb@socialdesk.test", "Marcus Webb", Role.SUPERVISOR, TEAMS),
    StaffMember(
        "sofia.alvarez@socialdesk.test", "Sofia Alvarez", Role.AGENT, ("Social",), ("en", "es")
    ),
    StaffMember(
        "chloe.martin@socialdesk.test", "Chloé Martin", Role.AGENT, ("Social",), ("en", "fr")
    ),
    StaffMember("jamal.carter@socialdesk.test", "Jamal Carter", Role.AGENT, ("Billing",)),
    StaffMember("hannah.kim@socialdesk.test", "Hannah Kim", Role.AGENT, ("Billing", "Social")),
    StaffMember(
        "tom.becker@socialdesk.test", "Tom Becker", Role.AGENT, ("Tech support",), ("en", "de")
    ),
    StaffMember("liam.oconnor@socialdesk.test", "Liam O'Connor", Role.AGENT, ("Tech support",)),
)


@dataclass(frozen=True, slots=True)
class Influencer:
    handle: str
    name: str
    followers: tuple[int, int]
    verified: bool


INFLUENCERS = (
    Influencer("techwithdana", "Dana Whitfield | Tech", (60_000, 240_000), True),
    Influencer("miatravelsfar", "Mia Travels ✈️", (25_000, 90_000), True),
    Influencer("gadgetgrumbles", "Gadget Grumbles", (12_000, 48_000), False),
    Influencer("coachkwesi", "Kwesi Mensah", (30_000, 120_000), True),
    Influencer("streamqueenjo", "Jo Park 🎮", (15_000, 70_000), False),
    Influencer("localnewsrob", "Rob Hale (Eastside Gazette)", (18_000, 55_000), True),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _words(
        """Maria James Aisha Daniel Priya Kevin Emma Noah Olivia Ethan Zoe Lucas Grace Omar Chloe
        Ryan Fatima Ben Hannah Leo Mei Jordan Sam Nina Tyler Layla Isla Diego Ruby Kwame Sara Jack
        Amara Connor Yuki Megan Ravi Ellie Andre Holly Tariq Jess Mateo Lily Dev Abby Owen Keisha
        Finn Rosa Harvey Imani Callum Ana Gabe Tessa Victor Niamh Malik Bea"""
    ),
    "es": _words("Lucía Javier Carmen Alejandro Marta Pablo Elena Sergio Inés"),
    "fr": _words("Camille Julien Élodie Mathieu Léa Antoine Manon Nicolas Hugo"),
    "de": _words("Jonas Lena Felix Anna Lukas Marie Jan Sophie Tobias Katrin"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _words(
        """Lopez Smith Khan Nguyen Patel O'Brien Johnson Okafor Williams Brown Garcia Kowalski
        Murphy Chen Davies Haddad Rossi Andersen Walker Singh Evans Thompson Ali Baker Reyes Hughes
        Mensah Cohen Turner Wright Sullivan Bennett Hall Ortiz Price Ward Adeyemi Fraser Lindqvist
        Tanaka Byrne Costa Novak"""
    ),
    "es": _words("García Fernández Martínez Ruiz Moreno Navarro Torres Delgado"),
    "fr": _words("Dubois Lefebvre Moreau Girard Roux Fournier Lambert Bonnet"),
    "de": _words("Müller Schmidt Schneider Weber Wagner Hoffmann Schäfer Koch"),
}

# For handles such as sleepyotter42 or coffee_dan.
HANDLE_WORDS = _words(
    """sleepy coffee pixel rainy lucky urban midnight happy retro cosmic salty quiet wild tiny
    electric golden grumpy sunny lazy clever"""
)
HANDLE_NOUNS = _words(
    """otter penguin fox panda cactus rider gardener baker gamer runner nomad owl dad mum coder
    cyclist biker reader chef walrus"""
)
