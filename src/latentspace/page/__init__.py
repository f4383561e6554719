"""The article page: the site builder, its numbers, formulas, run report, provenance and RO-Crate."""
