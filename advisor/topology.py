"""Network topology: regions and user locations as a networkx graph weighted by round-trip time.

RTT between two points is estimated from great-circle distance:
  rtt_ms = 2 * distance_km * ROUTE_FACTOR / FIBRE_KM_PER_MS + FIXED_OVERHEAD_MS
Light in fibre covers ~200 km per ms; real routes are ~1.3x longer than the great circle
(New York-London: 5,570 km gives 74 ms, measured ~70-75 ms).

Callers may also be services in a cloud region: a user location written as a region key
(`aws:us-east-1`) stands at that region. To the same region its round trip is
INTRA_REGION_RTT_MS, an estimate; to any other region the great-circle estimate above.
"""

from __future__ import annotations

import math

import networkx as nx

from advisor.catalog.models import Catalog

EARTH_RADIUS_KM = 6371.0
FIBRE_KM_PER_MS = 200.0
ROUTE_FACTOR = 1.3
FIXED_OVERHEAD_MS = 2.0
INTRA_REGION_RTT_MS = 1.0
"""Round trip between services in one cloud region (an estimate: across availability zones of
one region cloud providers state single-digit milliseconds at most, commonly about 1 ms)."""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def rtt_ms(distance_km: float) -> float:
    return 2 * distance_km * ROUTE_FACTOR / FIBRE_KM_PER_MS + FIXED_OVERHEAD_MS


class Topology:
    """User locations and regions; `rtt(location, region_key)` is the shortest-path RTT."""

    def __init__(self, catalog: Catalog):
        self.graph = nx.Graph()
        for name, loc in catalog.locations.items():
            self.graph.add_node(f"user:{name}", lat=loc.lat, lon=loc.lon, kind="location")
        for key, region in catalog.regions.items():
            self.graph.add_node(f"region:{key}", lat=region.lat, lon=region.lon, kind="region")
            self.graph.add_node(f"user:{key}", lat=region.lat, lon=region.lon, kind="location")  # callers there
        users = [n for n, d in self.graph.nodes(data=True) if d["kind"] == "location"]
        regions = [n for n, d in self.graph.nodes(data=True) if d["kind"] == "region"]
        for user in users:
            u = self.graph.nodes[user]
            for region in regions:
                r = self.graph.nodes[region]
                distance = great_circle_km(u["lat"], u["lon"], r["lat"], r["lon"])
                same = user.removeprefix("user:") == region.removeprefix("region:")
                self.graph.add_edge(user, region, distance_km=distance,
                                    rtt_ms=INTRA_REGION_RTT_MS if same else rtt_ms(distance))
        self._cache: dict[tuple[str, str], float] = {}

    def rtt(self, location: str, region_key: str) -> float:
        """Round trip in ms from a user location to a region (provider:name)."""
        key = (location, region_key)
        if key not in self._cache:
            # one Dijkstra per location fills every region (one per pair took 3 s of a 300-workload build)
            lengths = nx.single_source_dijkstra_path_length(self.graph, f"user:{location}", weight="rtt_ms")
            for node, length in lengths.items():
                if node.startswith("region:"):
                    self._cache[location, node.removeprefix("region:")] = length
            if key not in self._cache:
                raise nx.NodeNotFound(f"region {region_key} is not in the topology")
        return self._cache[key]

    def worst_rtt(self, users: dict[str, float], region_key: str) -> float:
        """The slowest user location decides whether the p95 SLO holds."""
        return max(self.rtt(location, region_key) for location in sorted(users))
