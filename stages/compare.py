"""compare stage (see gemelo.comparison.compare_stage)."""
from gemelo.comparison import compare_stage
from gemelo.pipeline import run

run(compare_stage)
