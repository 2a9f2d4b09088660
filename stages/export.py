"""export stage, one per model, outside the default pipeline (see export/dvc.yaml and gemelo.export.export_stage)."""
from gemelo.export import export_stage
from gemelo.pipeline import run

run(export_stage)
