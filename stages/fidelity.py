"""fidelity stage, one per model: does the twin write like the author? (see gemelo.fidelity.fidelity_stage)."""
from gemelo.fidelity import fidelity_stage
from gemelo.pipeline import run

run(fidelity_stage)
