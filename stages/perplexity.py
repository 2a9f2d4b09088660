"""perplexity stage, one per model (see gemelo.pipeline.perplexity)."""
from gemelo.pipeline import perplexity, run

run(perplexity)
