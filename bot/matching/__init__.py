"""Matching: pure scoring of (mentee, mentor) pairs and an exact capacity-constrained solver.

Nothing here imports Slack or storage.
"""

from bot.matching.availability import shared_hours
from bot.matching.matrix import ScoreMatrix, score_matrix
from bot.matching.rounds import MatchedPair, RoundDiff, RoundResult, diff_rounds, plan_round
from bot.matching.scoring import FACTORS, MatchSettings, Score, Weights, score
from bot.matching.solver import assign_from_matrix, max_weight_assignment

__all__ = [
    "FACTORS",
    "MatchSettings",
    "MatchedPair",
    "RoundDiff",
    "RoundResult",
    "Score",
    "ScoreMatrix",
    "Weights",
    "assign_from_matrix",
    "diff_rounds",
    "max_weight_assignment",
    "plan_round",
    "score",
    "score_matrix",
    "shared_hours",
]
