"""The model card: what a trained model folder records about how it was made. Written and read here only.

Chat, the samples and the perplexity stage rebuild the model and its format from it, so the card holds
everything they need: the model's settings (source, method, dtype, context length), the settings of its
`ChatFormat` (author, system prompt, separator, template switches, the template's date) and the MLflow
run that later stages add their figures to.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gemelo import UserError

FILE = "gemelo.json"


@dataclass
class ModelCard:
    model: str                  # the model's key in conf/model/
    config: dict                # its settings, global `train:` defaults merged (config.model_config)
    chat_format: dict           # the keyword arguments of formatting.ChatFormat
    mlflow_run_id: str | None = None
    train: dict = field(default_factory=dict)  # the training run's figures

    @property
    def method(self) -> str:
        return self.config["method"]

    @property
    def max_length(self) -> int:
        return int(self.config["max_length"])

    def format_for(self, tokenizer):
        """The ChatFormat the model was trained with, on its saved tokenizer."""
        from gemelo.formatting import ChatFormat

        return ChatFormat(tokenizer, **self.chat_format)

    def write(self, folder: Path) -> None:
        (Path(folder) / FILE).write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> "ModelCard":
        """The card of a trained model folder; a missing or damaged card is a one-line error."""
        path = Path(folder) / FILE
        if not path.exists():
            raise UserError(f"{folder} is not a trained gemelo model (no {FILE}): run `dvc repro` first")
        try:
            card = cls(**json.loads(path.read_text(encoding="utf-8")))
            missing = [k for k in ("source", "method", "max_length") if k not in card.config]
            missing += [k for k in ("kind", "author", "system_prompt", "separator") if k not in card.chat_format]
        except (ValueError, TypeError, AttributeError):
            missing = ["its fields"]
        if missing:
            raise UserError(f"{path} lacks {', '.join(missing)} (damaged, or from another version of gemelo): "
                            "run `dvc repro` again")
        return card

    @staticmethod
    def exists(folder: Path) -> bool:
        return (Path(folder) / FILE).exists()
