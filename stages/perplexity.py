"""perplexity stage, one per model (see gemelo.evaluation.perplexity_stage)."""
from gemelo.evaluation import perplexity_stage
from gemelo.pipeline import run

run(perplexity_stage)
