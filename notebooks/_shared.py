"""What the numbered notebooks share: where figures go, and how they are shown. Not a notebook."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from servicelens import paths  # noqa: E402

pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 60)


def save(fig, name: str) -> None:
    """Write a figure to the figures folder (and show it when running in a notebook)."""
    folder = paths.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print("wrote", path)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Image(str(path)))


def boxes_by_major_group(frame: pd.DataFrame, column: str):
    """A figure with one box of ``column`` per SOC major group (``frame["major"]``), sorted by median."""
    order = frame.groupby("major")[column].median().sort_values().index
    fig, ax = plt.subplots(figsize=(11, 5.5))
    ax.boxplot([frame.loc[frame["major"] == m, column] for m in order], widths=0.6, flierprops={"markersize": 3})
    ax.set_xticks(range(1, len(order) + 1), [f"{m} ({(frame['major'] == m).sum()})" for m in order],
                  rotation=45, ha="right", fontsize=8)
    return fig, ax
