"""Figures of the article: each module computes one figure and writes it deterministically."""
