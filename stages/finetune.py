"""finetune stage, one per model (see gemelo.pipeline.finetune)."""
from gemelo.pipeline import finetune, run

run(finetune)
