"""The shape of the digit images every step handles, defined once.

MNIST and Fashion-MNIST images are 28 x 28 grey levels; the models see them flattened
to vectors of 784 intensities (``latentspace.files.datasets.images_to_vectors``). The page's
explorers read the shape from each bundle's manifest.
"""

IMAGE_SIDE = 28
IMAGE_SHAPE = (IMAGE_SIDE, IMAGE_SIDE)
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
