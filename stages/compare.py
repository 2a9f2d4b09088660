"""compare stage (see gemelo.pipeline.compare)."""
from gemelo.pipeline import compare, run

run(compare)
