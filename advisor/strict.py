"""The base model every input and output document uses: unknown fields are errors."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Frozen, no extra fields: a typo in YAML must be an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)
