"""group stage (see gemelo.grouping.group_stage)."""
from gemelo.grouping import group_stage
from gemelo.pipeline import run

run(group_stage)
