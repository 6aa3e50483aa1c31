"""The people-to-meet planner as it was before issue 14 (networkx graph, dense chunks, per-mentee loops).

Kept, verbatim but for the order among exactly equal scores (marked below), as the reference the vectorised
``bot.networking.plan_people_to_meet`` must agree with exactly (tests/test_people_fast_path.py). Not used by the app.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from bot.knowledge import goal_skills
from bot.networking import (
    ALUMNI_GREW_WEIGHT,
    DEFAULT_SHARE,
    MIN_CAP,
    OUTSIDE_DEPARTMENT_BONUS,
    PER_MENTEE,
    REPEAT_PENALTY,
    SHARED_MENTOR_BONUS,
    UNFIT,
    PersonSuggestion,
)
from bot.profiles import Profile, Status
from bot.taxonomy import Taxonomy, default_taxonomy


def build_people_graph(
    people_list: Sequence[Profile],
    *,
    pairings: Iterable[tuple[str, str]] = (),
    alumni: Collection[str] = (),
    taxonomy: Taxonomy | None = None,
) -> nx.Graph:
    """People, skills and past pairings as one graph.

    Person nodes are user ids (attributes ``kind="person"``, ``department``, ``mentee``, ``candidate``);
    skill nodes are ``("skill", name)``. A person-skill edge carries ``want`` (what a mentee works on:
    1.0 for skills wanted, 0.5 behind a career goal) and ``offer`` (1.0 offered; an alumnus's grown
    skills 0.6). Person-person edges (``kind="paired"``) are past and current pairings.
    """
    taxonomy = taxonomy or default_taxonomy()
    alumni = set(alumni)
    graph = nx.Graph()
    for p in people_list:
        active = p.status == Status.ACTIVE
        graph.add_node(
            p.user_id,
            kind="person",
            department=p.department,
            mentee=active and p.is_mentee,
            candidate=active and (p.is_mentor or p.user_id in alumni),
            alumni=p.user_id in alumni,
            manager_id=p.manager_id or "",
        )
        edges: dict[str, list[float]] = {}
        if p.is_mentee:
            for skill, weight in goal_skills(p, taxonomy).items():
                edges.setdefault(skill, [0.0, 0.0])[0] = weight
        for skill in p.skills_offered:
            edges.setdefault(skill, [0.0, 0.0])[1] = 1.0
        if p.user_id in alumni:
            for skill in p.skills_wanted:
                pair = edges.setdefault(skill, [0.0, 0.0])
                pair[1] = max(pair[1], ALUMNI_GREW_WEIGHT)
        graph.add_edges_from(
            (p.user_id, ("skill", skill), {"want": w, "offer": o, "kind": "skill"}) for skill, (w, o) in edges.items()
        )
    for mentee, mentor in pairings:
        if mentee in graph and mentor in graph:
            graph.add_edge(mentee, mentor, kind="paired", want=0.0, offer=0.0)
    return graph


def reference_plan_people_to_meet(
    people_list: Sequence[Profile],
    *,
    pairings: Iterable[tuple[str, str]] = (),
    alumni: Collection[str] = (),
    opted_out: Collection[str] = (),
    seen: Mapping[str, Collection[str]] | None = None,
    introduced: Iterable[tuple[str, str]] = (),
    taxonomy: Taxonomy | None = None,
    per_mentee: int = PER_MENTEE,
    share: float = DEFAULT_SHARE,
    min_cap: int = MIN_CAP,
    shortlist: int = 60,
    chunk: int = 2048,
    seed: int = 0,
) -> dict[str, list[PersonSuggestion]]:
    """Suggest up to ``per_mentee`` people to every active mentee.

    Candidates are active mentors and alumni who did not opt out. Never suggested: the mentee themself,
    anyone they were ever paired with (their mentor), their manager, their direct reports, anyone they were
    already introduced to (``introduced``: (person, person) pairs). A candidate's score is the weighted share of
    the mentee's goal skills they cover, plus a bonus outside the mentee's department and for a shared past
    mentor; only candidates covering at least one goal skill qualify. Someone already suggested to the mentee
    (``seen``: mentee -> people suggested earlier in the cohort) comes after every fresh candidate who fits,
    so suggestions rotate month to month and repeat only once nobody new fits. Load is spread: nobody is
    suggested to more than ``max(min_cap, ceil(share * mentees))`` mentees (greedy by score over each
    mentee's ``shortlist`` best candidates, with a tiny jitter seeded by ``seed`` (the month, say) so equal
    scores do not all go to the same person).

    Returns:
        Mentee id -> suggestions in rank order (mentees with no match have an empty list).
    """
    taxonomy = taxonomy or default_taxonomy()
    graph = build_people_graph(people_list, pairings=pairings, alumni=alumni, taxonomy=taxonomy)
    opted = set(opted_out)
    nodes = graph.nodes
    mentees = [p.user_id for p in people_list if nodes[p.user_id]["mentee"]]
    candidates = [p.user_id for p in people_list if nodes[p.user_id]["candidate"] and p.user_id not in opted]
    result: dict[str, list[PersonSuggestion]] = {m: [] for m in mentees}
    if not mentees or not candidates or per_mentee <= 0:
        return result
    skills = sorted({n for n in graph if isinstance(n, tuple)})
    if not skills:
        return result
    want = _biadjacency(graph, mentees, skills, "want")
    offer = _biadjacency(graph, candidates, skills, "offer")
    totals = np.asarray(want.sum(axis=1)).ravel()
    want = sp.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)) @ want
    offer_t = offer.T.tocsc()
    covered = (offer > 0).astype(np.float32).T.tocsr()  # skills x candidates, for "covers at least one"

    mentee_index = {m: i for i, m in enumerate(mentees)}
    cand_index = {c: j for j, c in enumerate(candidates)}
    departments = {d: k for k, d in enumerate(sorted({str(nodes[u]["department"]) for u in mentees + candidates}))}
    mentee_dept = np.array([departments[str(nodes[m]["department"])] for m in mentees])
    cand_dept = np.array([departments[str(nodes[c]["department"])] for c in candidates])
    cand_alumni = np.array([bool(nodes[c]["alumni"]) for c in candidates])

    # Hard exclusions (self, anyone paired with, manager, direct reports) as a sparse mentee x candidate mask.
    rows: list[int] = []
    cols: list[int] = []
    reports: dict[str, list[str]] = {}
    for user in graph:
        if not isinstance(user, tuple) and nodes[user].get("manager_id"):
            reports.setdefault(str(nodes[user]["manager_id"]), []).append(user)
    met: dict[str, set[str]] = {}
    for a, b in introduced:
        met.setdefault(a, set()).add(b)
    for m, i in mentee_index.items():
        blocked = {m, str(nodes[m].get("manager_id") or ""), *reports.get(m, ()), *met.get(m, ())}
        blocked.update(n for n in graph.neighbors(m) if not isinstance(n, tuple))
        for b in blocked:
            j = cand_index.get(b)
            if j is not None:
                rows.append(i)
                cols.append(j)
    excluded = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(mentees), len(candidates))
    )
    # Already suggested in this cohort: ranked after every fresh candidate who fits.
    rows, cols = [], []
    for m, earlier in (seen or {}).items():
        i = mentee_index.get(m)
        if i is None:
            continue
        for person in earlier:
            j = cand_index.get(person)
            if j is not None:
                rows.append(i)
                cols.append(j)
    repeated = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(mentees), len(candidates))
    )
    # A shared past mentor (or mentee): mentee -> paired person -> candidate.
    people_ids = [p.user_id for p in people_list]
    person_index = {u: k for k, u in enumerate(people_ids)}
    pr: list[int] = []
    pc: list[int] = []
    for a, b, data in graph.edges(data=True):
        if data.get("kind") == "paired":
            pr += [person_index[a], person_index[b]]
            pc += [person_index[b], person_index[a]]
    paired = sp.csr_matrix((np.ones(len(pr), dtype=np.float32), (pr, pc)), shape=(len(people_ids),) * 2)
    shared_mentor = (
        paired[[person_index[m] for m in mentees]] @ paired[[person_index[c] for c in candidates]].T
    ).tocsr()

    rng = np.random.default_rng(seed)
    k = min(shortlist, len(candidates))
    triples_score: list[np.ndarray] = []
    triples_mentee: list[np.ndarray] = []
    triples_cand: list[np.ndarray] = []
    for start in range(0, len(mentees), chunk):
        stop = min(start + chunk, len(mentees))
        block = want[start:stop]
        scores = (block @ offer_t).toarray()
        qualifies = ((block > 0).astype(np.float32) @ covered).toarray() > 0
        scores += OUTSIDE_DEPARTMENT_BONUS * (mentee_dept[start:stop, None] != cand_dept[None, :])
        _mark(scores, shared_mentor[start:stop], add=SHARED_MENTOR_BONUS)
        scores += 0.05 * cand_alumni[None, :]
        scores += rng.random(scores.shape, dtype=np.float32) * 1e-3
        scores[~qualifies] = UNFIT
        _mark(scores, excluded[start:stop], value=UNFIT)
        _mark(scores, repeated[start:stop], add=-REPEAT_PENALTY)
        if k < len(candidates):
            # one change from the original (argpartition): exact ties go to the candidate listed first, not to
            # wherever introselect happened to leave them
            top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        else:
            top = np.tile(np.arange(len(candidates)), (stop - start, 1))
        top_scores = np.take_along_axis(scores, top, axis=1)
        keep = top_scores > UNFIT / 2  # fresh candidates (> 0) and repeats (about -REPEAT_PENALTY)
        triples_score.append(top_scores[keep])
        triples_mentee.append(np.broadcast_to(np.arange(start, stop)[:, None], top.shape)[keep])
        triples_cand.append(top[keep])
    all_scores = np.concatenate(triples_score)
    all_mentees = np.concatenate(triples_mentee)
    all_cands = np.concatenate(triples_cand)
    order = np.argsort(-all_scores, kind="stable")

    cap = max(min_cap, math.ceil(share * len(mentees)))
    load = np.zeros(len(candidates), dtype=np.int64)
    given = np.zeros(len(mentees), dtype=np.int64)
    chosen: list[tuple[int, int, float]] = []
    for idx in order.tolist():
        i, j = int(all_mentees[idx]), int(all_cands[idx])
        if given[i] >= per_mentee or load[j] >= cap:
            continue
        given[i] += 1
        load[j] += 1
        score = float(all_scores[idx])
        chosen.append((i, j, score + REPEAT_PENALTY if score < 0 else score))

    wanted_sets = {m: {s for _, s in _skill_edges(graph, m, "want")} for m in mentees}
    for i, j, score in chosen:
        mentee, candidate = mentees[i], candidates[j]
        mine = wanted_sets[mentee]
        theirs = {s for _, s in _skill_edges(graph, candidate, "offer")}
        shared = tuple(sorted(mine & theirs))
        bits = []
        if shared:
            bits.append("knows " + ", ".join(shared[:3]))
        if nodes[candidate]["department"] and nodes[candidate]["department"] != nodes[mentee]["department"]:
            bits.append(f"works in {nodes[candidate]['department']}")
        if nodes[candidate]["alumni"]:
            bits.append("program alumni")
        if shared_mentor[i, j] > 0:
            bits.append("shares a past mentor or mentee with you")
        result[mentee].append(PersonSuggestion(candidate, round(score, 4), shared, "; ".join(bits)))
    earlier = seen or {}
    for mentee in result:  # fresh people first, then by score
        result[mentee].sort(key=lambda s: (s.user_id in earlier.get(mentee, ()), -s.score))
    return result


def _mark(scores: np.ndarray, entries: sp.csr_matrix, *, value: float | None = None, add: float = 0.0) -> None:
    """Set (``value``) or shift (``add``) the dense chunk's cells that a sparse 0/1 chunk marks, in place."""
    coo = entries.tocoo()
    hit = coo.data > 0
    rows, cols = coo.row[hit], coo.col[hit]
    if value is not None:
        scores[rows, cols] = value
    else:
        scores[rows, cols] += add  # each cell once (fancy indexing does not accumulate duplicates)


def _biadjacency(graph: nx.Graph, rows: Sequence[str], columns: Sequence[Any], weight: str) -> sp.csr_matrix:
    """Sparse rows x columns matrix of an edge attribute (like ``nx.bipartite.biadjacency_matrix``, without
    its failure when no edge qualifies, and dropping zero weights)."""
    row_index = {r: i for i, r in enumerate(rows)}
    col_index = {c: j for j, c in enumerate(columns)}
    r: list[int] = []
    c: list[int] = []
    v: list[float] = []
    for u, w, data in graph.edges(rows, data=True):
        value = data.get(weight, 0.0)
        if value and u in row_index and w in col_index:
            r.append(row_index[u])
            c.append(col_index[w])
            v.append(value)
    return sp.csr_matrix((np.asarray(v, dtype=np.float32), (r, c)), shape=(len(rows), len(columns)))


def _skill_edges(graph: nx.Graph, user: str, weight: str) -> Iterable[tuple[float, str]]:
    for _, skill, data in graph.edges(user, data=True):
        if isinstance(skill, tuple) and data.get(weight, 0.0) > 0:
            yield data[weight], skill[1]
