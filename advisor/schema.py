"""JSON Schema of the workload and policy documents, for editors and the YAML language server."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from advisor.workload.models import BatchInference, EdgeInference, Policy, RealtimeInference, Training

Document = Annotated[
    Training | BatchInference | RealtimeInference | EdgeInference | Policy,
    Field(discriminator="kind"),
]


def document_schema() -> dict[str, Any]:
    schema = TypeAdapter(Document).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "advisor workload or policy document"
    return schema
