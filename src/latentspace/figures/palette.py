"""The colours of the article's figures, without matplotlib.

The page's explorers draw with the same colours as the figures beside them; the explorer
step reads them here, so that exporting a decoder does not import matplotlib.
``latentspace.figures.style`` re-exports them for the figure modules.
"""

# Colour-blind-safe (Okabe-Ito) roles, the same in every figure.
PATH_COLOR = "#0072B2"          # a latent path (the spirals of F3 and F7)
LERP_COLOR = "#D55E00"          # lerp: the straight line between two points (F10-F12)
SLERP_COLOR = "#0072B2"         # slerp: the great-circle arc between two points (F10-F12)
REFERENCE_COLOR = "#555555"     # spheres, shells, reference lines
POINT_COLOR = "#999999"         # scatter of random points
CURRENT_COLOR = "#CC79A7"       # the current point of an animation
COMPONENT_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                    "#56B4E9", "#F0E442", "#000000", "#882255", "#44AA99")
