"""clean stage (see gemelo.pipeline.clean)."""
from gemelo.pipeline import clean, run

run(clean)
