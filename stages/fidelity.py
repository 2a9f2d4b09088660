"""fidelity stage, one per model: does the twin write like the author? (see gemelo.pipeline.fidelity)."""
from gemelo.pipeline import fidelity, run

run(fidelity)
