"""samples stage, one per model: side-by-side replies (see gemelo.pipeline.samples)."""
from gemelo.pipeline import run, samples

run(samples)
