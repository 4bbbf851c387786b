"""The one exception of the estimate stage: the offering cannot run the workload."""

from __future__ import annotations


class Unfit(Exception):
    """The offering cannot run the workload; `rule` names the check that failed."""

    def __init__(self, rule: str, reason: str):
        self.rule = rule
        self.reason = reason
        super().__init__(reason)
