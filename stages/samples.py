"""samples stage, one per model: side-by-side replies (see gemelo.chat.samples_stage)."""
from gemelo.chat import samples_stage
from gemelo.pipeline import run

run(samples_stage)
