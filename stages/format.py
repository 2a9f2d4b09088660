"""format stage, one per model (see gemelo.pipeline.format_)."""
from gemelo.pipeline import format_, run

run(format_)
