#!/usr/bin/env bash
# Wall-clock time of the whole default pipeline (data, every model, every figure and
# animation, the site) from an empty results/ on 2 cores, then the jobs that one figure's
# setting change plans: that figure and the site only.
#
#   benchmarks/pipeline_time.sh [WORKDIR]     (default: a new temporary folder)
#
# Targets: at most 150 s on a 2-core CPU; and, summed over the benchmark files of that
# run, the job-seconds of every step other than `train`, `study_classifier` and
# `study_geodesic` at most 0.6 times those of `train` (start-up, torch's import above all,
# is most of a small step's time), and those of the `study_geodesic` jobs (one per latent
# size: the geodesics of every pair and the lengths of every path) at most 0.3 times those
# of `train`. Run it with the repository's environment active (snakemake and the
# latentspace package on PATH).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workdir="${1:-$(mktemp -d -t latentspace-pipeline-XXXXXX)}"
mkdir -p "$workdir"
for item in Snakefile config.yaml workflow site_templates; do
    cp -r "$repo/$item" "$workdir/"
done
cd "$workdir"
rm -rf results site .snakemake

echo "== default pipeline from a clean results/ in $workdir (2 cores); load average: $(cut -d" " -f1-3 /proc/loadavg)"
started_ns=$(date +%s%N)
snakemake --cores 2 > pipeline.log 2>&1 || { tail -40 pipeline.log; exit 1; }
elapsed_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
printf 'elapsed: %d.%03d s (target: 150 s); load average now: %s\n' \
    $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== slowest jobs (results/benchmarks/*.tsv, wall-clock seconds)"
for tsv in results/benchmarks/*.tsv; do
    printf '%8.2f  %s\n' "$(sed -n 2p "$tsv" | cut -f1)" "$(basename "$tsv" .tsv)"
done | sort -rn | head -12
echo "== job-seconds (the s column of results/benchmarks/*.tsv)"
for tsv in results/benchmarks/*.tsv; do
    printf '%s %s\n' "$(basename "$tsv" .tsv)" "$(sed -n 2p "$tsv" | cut -f1)"
done | awk '
    $1 ~ /^train_/ { train += $2; train_jobs++; next }
    $1 == "study_classifier" { classifier += $2; next }
    $1 ~ /^study_geodesic_z/ { geodesic += $2; geodesic_jobs++; next }
    { other += $2; other_jobs++ }
    END {
        printf "train: %.1f s (%d jobs); study_classifier: %.1f s; every other step: %.1f s (%d jobs)\n", train, train_jobs, classifier, other, other_jobs
        printf "other / train: %.2f (target: at most 0.60)\n", other / train
        printf "study_geodesic: %.1f s (%d jobs); study_geodesic / train: %.2f (target: at most 0.30)\n", geodesic, geodesic_jobs, geodesic / train
    }'

echo "== the magnification map of the z = 2 plane (target: under 5 s)"
grep -h "magnification factor at" results/logs/study/geodesic_plane.log

echo "== jobs planned after changing figures.ball_volume.max_dim (20 -> 21)"
sed 's/^    max_dim: 20$/    max_dim: 21/' config.yaml > changed.yaml
grep -q "max_dim: 21" changed.yaml || { echo "could not change max_dim in config.yaml"; exit 1; }
snakemake -n --cores 2 --configfile changed.yaml 2>&1 | sed -n '/^Job stats:/,/^total/p'
