"""group stage (see gemelo.pipeline.group)."""
from gemelo.pipeline import group, run

run(group)
