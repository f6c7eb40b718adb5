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
