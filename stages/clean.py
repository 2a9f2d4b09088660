"""clean stage (see gemelo.cleaning.clean_stage)."""
from gemelo.cleaning import clean_stage
from gemelo.pipeline import run

run(clean_stage)
