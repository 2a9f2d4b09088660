"""format stage, one per model (see gemelo.formatting.format_stage)."""
from gemelo.formatting import format_stage
from gemelo.pipeline import run

run(format_stage)
