"""A synthetic workforce for the demo, the tests and the matching benchmark.

``generate_people(n, seed=...)`` is deterministic for a seed: same names, ids, skills and
timezones every time, on every machine (it uses its own :class:`random.Random`).
"""

from __future__ import annotations

import random
import string
from dataclasses import replace

from bot.profiles import COMMUNICATION_STYLES, MEETING_FORMATS, PERSONALITIES, TIME_WINDOWS, WEEKDAYS, Profile, Role
from bot.taxonomy import Taxonomy, default_taxonomy

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Anika",
    "Arjun",
    "Ayesha",
    "Bea",
    "Ben",
    "Carla",
    "Chen",
    "Chidi",
    "Chloe",
    "Dana",
    "Daniel",
    "Diego",
    "Elena",
    "Emeka",
    "Emma",
    "Farah",
    "Felix",
    "Fatima",
    "Gabriel",
    "Grace",
    "Hana",
    "Hiro",
    "Ines",
    "Ivan",
    "Jamal",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Kenji",
    "Lara",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Mohammed",
    "Nadia",
    "Naveen",
    "Nia",
    "Noah",
    "Olga",
    "Omar",
    "Paula",
    "Priya",
    "Rafael",
    "Rina",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tom",
    "Uma",
    "Vikram",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abe",
    "Adeyemi",
    "Alvarez",
    "Bauer",
    "Brown",
    "Chen",
    "Costa",
    "Silva",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Ito",
    "Jensen",
    "Kaur",
    "Kim",
    "Kowalski",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Rossi",
    "Santos",
    "Schmidt",
    "Sharma",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Wagner",
    "Walker",
    "Wang",
    "Williams",
    "Wilson",
    "Yamamoto",
    "Zhang",
]

# (timezone, weight, extra language spoken there)
TIMEZONES: tuple[tuple[str, float, str | None], ...] = (
    ("America/Los_Angeles", 0.18, "spanish"),
    ("America/New_York", 0.24, "spanish"),
    ("America/Sao_Paulo", 0.07, "portuguese"),
    ("Europe/London", 0.16, None),
    ("Europe/Berlin", 0.13, "german"),
    ("Asia/Kolkata", 0.12, "hindi"),
    ("Asia/Tokyo", 0.05, "japanese"),
    ("Australia/Sydney", 0.05, None),
)

MENTEE_SENIORITY = (("intern", 0.05), ("junior", 0.3), ("mid", 0.4), ("senior", 0.2), ("staff", 0.05))
MENTOR_SENIORITY = (
    ("mid", 0.1),
    ("senior", 0.3),
    ("staff", 0.2),
    ("principal", 0.1),
    ("manager", 0.15),
    ("director", 0.1),
    ("executive", 0.05),
)
DEPARTMENT_WEIGHTS = {"engineering": 5.0, "product": 1.5, "data": 1.5, "design": 1.0, "sales": 1.5}


def _zipf(rng: random.Random, items: tuple[str, ...], k: int, exponent: float = 1.1) -> list[str]:
    """k distinct items, popular ones (early in a shuffled-per-seed order) far more often."""
    weights = [1.0 / (rank + 1) ** exponent for rank in range(len(items))]
    chosen: dict[str, None] = {}
    while len(chosen) < min(k, len(items)):
        chosen[rng.choices(items, weights=weights)[0]] = None
    return list(chosen)


def _pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def generate_people(n: int, *, seed: int, mentor_share: float = 0.3, taxonomy: Taxonomy | None = None) -> list[Profile]:
    """Generate ``n`` realistic, deterministic profiles.

    Args:
        n: Number of people.
        seed: Random seed; the same seed gives the same people.
        mentor_share: Approximate share of mentors ("both" people count half as mentor).
        taxonomy: Tags to draw from (default: the shipped taxonomy).

    Returns:
        Profiles with unique Slack-like ids (``U`` + 10 upper-case alphanumerics) and unique names.
    """
    taxonomy = taxonomy or default_taxonomy()
    rng = random.Random(seed)
    skills = list(taxonomy.skills)
    rng.shuffle(skills)  # popularity order differs per seed but is fixed for it
    skills_t = tuple(skills)
    interests = list(taxonomy.interests)
    rng.shuffle(interests)
    goals = tuple(taxonomy.career_goals)
    departments = taxonomy.departments or ("engineering",)
    dept_weights = [DEPARTMENT_WEIGHTS.get(d, 0.7) for d in departments]
    industries = taxonomy.industries or ("software",)
    alphabet = string.ascii_uppercase + string.digits

    ids: set[str] = set()
    names: set[str] = set()
    people: list[Profile] = []
    for _ in range(n):
        while True:
            user_id = "U" + "".join(rng.choices(alphabet, k=10))
            if user_id not in ids:
                ids.add(user_id)
                break
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        suffix = 2
        while name in names:
            name = f"{first} {last} {suffix}"
            suffix += 1
        names.add(name)
        email = f"{first}.{last}{'' if suffix == 2 else suffix - 1}@example.com".lower().replace(" ", "")

        draw = rng.random()
        both_share = mentor_share * 0.2
        if draw < mentor_share - both_share / 2:
            role = Role.MENTOR
        elif draw < mentor_share + both_share / 2:
            role = Role.BOTH
        else:
            role = Role.MENTEE
        seniority = _pick(rng, MENTOR_SENIORITY if role != Role.MENTEE else MENTEE_SENIORITY)

        tz, _, local_language = rng.choices(TIMEZONES, weights=[w for _, w, _ in TIMEZONES])[0]
        languages = ["english"] if rng.random() < 0.9 or not local_language else [local_language]
        if local_language and local_language not in languages and rng.random() < 0.35:
            languages.append(local_language)
        if rng.random() < 0.05:
            extra = rng.choice(taxonomy.languages)
            if extra not in languages:
                languages.append(extra)

        offered = _zipf(rng, skills_t, rng.randint(2, 5)) if role != Role.MENTEE else []
        wanted = _zipf(rng, skills_t, rng.randint(1, 3)) if role != Role.MENTOR else []
        day_count = rng.choice((2, 3, 3, 4, 5))
        days = tuple(sorted(rng.sample(WEEKDAYS[:5], day_count), key=WEEKDAYS.index))
        slot_names = tuple(TIME_WINDOWS)
        slots = tuple(sorted(rng.sample(slot_names[1:4], rng.randint(1, 2)), key=slot_names.index))
        if rng.random() < 0.15:
            slots = tuple(sorted({*slots, rng.choice((slot_names[0], slot_names[4]))}, key=slot_names.index))

        people.append(
            Profile(
                user_id=user_id,
                role=role,
                name=name,
                email=email,
                skills_offered=tuple(offered),
                skills_wanted=tuple(wanted),
                interests=tuple(_zipf(rng, tuple(interests), rng.randint(0, 3), exponent=0.8)),
                career_goals=tuple(rng.sample(goals, rng.randint(0, 2))) if goals else (),
                department=rng.choices(departments, weights=dept_weights)[0],
                industry=rng.choice(industries),
                seniority=seniority,
                communication_style=rng.choice(("",) + COMMUNICATION_STYLES),
                personality=rng.choice(("",) + PERSONALITIES),
                timezone=tz,
                days=days,
                time_slots=slots,
                meeting_format=rng.choice(MEETING_FORMATS),
                capacity=rng.choice((1, 2, 2, 3, 3, 4)) if role != Role.MENTEE else 1,
                languages=tuple(languages),
                manager_id=None,
            )
        )
    # About one in eight people reports to a more senior colleague in their department.
    by_department: dict[str, list[int]] = {}
    for i, p in enumerate(people):
        by_department.setdefault(p.department, []).append(i)
    result = list(people)
    for i, p in enumerate(people):
        if rng.random() < 0.125:
            for _ in range(10):
                manager = people[rng.choice(by_department[p.department])]
                if manager.seniority_rank > p.seniority_rank:
                    result[i] = replace(p, manager_id=manager.user_id)
                    break
    return result
