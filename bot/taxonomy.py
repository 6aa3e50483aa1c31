"""The program taxonomy: skills, interests, career goals, industries, departments, languages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.profiles import normalise_tag


@dataclass(frozen=True)
class Taxonomy:
    """Tags people pick from. Each list holds normalised tags in display order."""

    skill_groups: dict[str, tuple[str, ...]]
    interests: tuple[str, ...]
    career_goals: dict[str, tuple[str, ...]]
    industries: tuple[str, ...]
    departments: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(skill for group in self.skill_groups.values() for skill in group)


def taxonomy_from_dict(data: dict) -> Taxonomy:
    """Build a taxonomy from the YAML shape of ``bot/data/taxonomy.yml``."""

    def tags(items: list) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalise_tag(str(item)) for item in items or []))

    return Taxonomy(
        skill_groups={str(group): tags(items) for group, items in (data.get("skills") or {}).items()},
        interests=tags(data.get("interests")),
        career_goals={normalise_tag(goal): tags(skills) for goal, skills in (data.get("career_goals") or {}).items()},
        industries=tags(data.get("industries")),
        departments=tags(data.get("departments")),
        languages=tags(data.get("languages")),
    )


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The taxonomy that ships with mentorbot."""
    text = (Path(__file__).parent / "data" / "taxonomy.yml").read_text(encoding="utf-8")
    return taxonomy_from_dict(yaml.safe_load(text))
