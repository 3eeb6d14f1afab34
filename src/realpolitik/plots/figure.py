"""The figure every plot draws on: users' text is drawn as written.

Why: matplotlib reads the text between two dollar signs as TeX (mathtext).
Titles, actor names, labels and units come from users' files, so a
scenario titled ``Costs of $5bn^^ and $10bn`` raised ``ParseSyntaxException``
when its figure was drawn (a traceback for a valid file), and ``$5bn and
$10bn`` came out in math italics with its dollar signs gone. A
:class:`LiteralFigure` turns mathtext off for every text on it as it is drawn
(``Text.set_parse_math``), whichever way it is saved or shown (``savefig``,
the HTML report's SVG, a notebook's PNG). Nothing global changes: pyplot's
``text.parse_math`` setting and other figures are left alone. Our own labels
write symbols in Unicode (σ, μ*), not TeX.

Every module that makes a figure makes it with :func:`new_figure`. Modules
that import matplotlib only when they draw (start-up of the commands that
draw nothing) import this module then too.
"""

from __future__ import annotations

from typing import Any

from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text


class LiteralFigure(Figure):
    """A figure whose texts are never read as TeX (module docstring): each
    text is made literal before the figure measures (``tight_layout``,
    ``get_tightbbox``) or draws its texts."""

    def literal_texts(self) -> None:
        """Turn mathtext off for every text now on the figure."""
        for artist in self.findobj(match=Text, include_self=False):
            if isinstance(artist, Text):
                artist.set_parse_math(False)

    def draw(self, renderer: RendererBase) -> None:
        self.literal_texts()
        super().draw(renderer)

    def tight_layout(self, *args: Any, **kwargs: Any) -> None:
        self.literal_texts()
        super().tight_layout(*args, **kwargs)

    def get_tightbbox(self, *args: Any, **kwargs: Any) -> Any:
        self.literal_texts()
        return super().get_tightbbox(*args, **kwargs)


def new_figure(**kwargs: Any) -> Figure:
    """A :class:`LiteralFigure` on an Agg canvas (no pyplot, no display);
    ``kwargs`` as :class:`matplotlib.figure.Figure`'s."""
    fig = LiteralFigure(**kwargs)
    FigureCanvasAgg(fig)
    return fig
