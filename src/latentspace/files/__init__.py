"""File formats: atomic writers, checked readers and the data, history and IDX formats. No torch at import."""
