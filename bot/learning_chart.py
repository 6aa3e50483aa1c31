"""The learned model's effects as a chart: one small panel per factor, strongest first (PNG bytes)."""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np

from bot import charts  # selects the Agg backend; its lock serialises matplotlib across threads
from bot.matching.features import BY_NAME
from bot.matching.model import EVIDENCE, PairModel

TICKS = (0.25, 0.5, 1, 2, 4)


def effects_chart(model: PairModel, *, title: str) -> bytes:
    """Each factor's learned effect: odds of a good outcome relative to an average pair, over the values seen.

    Args:
        model: The learned model.
        title: The chart title.

    Returns:
        PNG bytes.
    """
    from matplotlib.figure import Figure

    effects = model.effects()
    cols = 4
    rows = max(1, math.ceil(len(effects) / cols))
    with charts._lock:
        figure = Figure(figsize=(12, 2.6 * rows + 0.6), dpi=90)
        axes = figure.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel()[len(effects) :]:
            ax.set_visible(False)
        for ax, effect in zip(axes.ravel(), effects, strict=False):
            shape = model.shapes[effect.factor]
            factor = BY_NAME[effect.factor]
            lo, hi = shape.observed
            if hi <= lo:
                lo, hi = shape.knots[0], shape.knots[-1]
            if factor.kind in ("count", "binary", "levels"):
                x = np.arange(math.floor(lo), math.ceil(hi) + 1)
                ax.bar(x, np.exp(shape(x)) - 1.0, bottom=1.0, color="#4a90d9", width=0.6)
                if factor.kind == "binary":
                    ax.set_xticks([0, 1], ["no", "yes"])
                else:
                    ax.set_xticks(x)
            else:
                x = np.linspace(lo, hi, 60)
                ax.plot(x, np.exp(shape(x)), color="#4a90d9")
            ax.axhline(1.0, color="#757575", linewidth=0.8)
            ax.set_yscale("log")
            ax.set_ylim(1 / 6, 6)  # one scale for every panel, so a flat factor looks flat
            ax.set_yticks(TICKS, [f"{t:g}x" for t in TICKS])
            ax.minorticks_off()
            uncertain = " (uncertain)" if effect.strength != "none" and shape.p_value > EVIDENCE else ""
            ax.set_title(textwrap.fill(f"{factor.label}: {effect.strength}{uncertain}", 34), fontsize=8)
            ax.tick_params(labelsize=7)
        figure.suptitle(title + " (odds of a good outcome vs an average pair)", fontsize=10)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
