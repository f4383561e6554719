"""The study beyond the article: measure what the article only shows.

The article argues from pictures that linear interpolation (lerp) leaves the prior's
high-density shell of radius sqrt(p) and decodes to blurrier digits in high dimensions,
while spherical interpolation (slerp) does not. This subpackage measures it with the
models the pipeline trains, for every latent size of the configuration:

* :mod:`~latentspace.study.likelihood` - test ELBO and the importance-weighted estimate
  of the test log-likelihood (Burda et al. 2015, arXiv:1509.00519);
* :mod:`~latentspace.study.latent_norms` - KL per dimension, active units and where the
  encoded test digits lie against the sqrt(p) shell;
* :mod:`~latentspace.study.classifier` - the small CNN that judges decoded digits;
* :mod:`~latentspace.study.interpolation_quality` - lerp, slerp and the
  distribution-matched interpolation of Agustsson et al. (2017, arXiv:1711.01970)
  between pairs of prior draws and of encoded test digits, scored along the path, with
  bootstrap intervals (Efron & Tibshirani 1993);
* :mod:`~latentspace.study.tables` - the per-size results gathered into the CSV tables and
  the summary JSON of the site section, with every verdict computed as data;
* :mod:`~latentspace.study.pair_scores` - the classifier's confidence and the norm of each
  digit of the pair Figure 11 shows (the page prints them under the figure);
* :mod:`~latentspace.study.across_replicates` - every number across independently trained
  replicates of each latent size, with intervals that cover the training and the pairs;
* :mod:`~latentspace.study.labels` - the names of the sources, methods and metrics.

The ``study-*`` steps of the command line (:mod:`latentspace.steps`) run them.
"""
