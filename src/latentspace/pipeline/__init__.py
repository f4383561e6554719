"""The glue between Snakemake and the steps: code hashes, job records and the cluster checks."""
