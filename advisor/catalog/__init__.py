"""The hardware catalog: accelerators, MIG profiles, providers, regions, offerings and prices."""

from advisor.catalog.loader import load_catalog
from advisor.catalog.models import Catalog

__all__ = ["Catalog", "load_catalog"]
