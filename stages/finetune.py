"""finetune stage, one per model (see gemelo.training.finetune_stage)."""
from gemelo.training import finetune_stage
from gemelo.pipeline import run

run(finetune_stage)
