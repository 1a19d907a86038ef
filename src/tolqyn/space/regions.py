"""Regions -> localities -> agents: the space of a country model.

Agents are stored sorted by region, then locality (and, inside a locality, by ethnic group),
so that `region_start` and `locality_start` slice every per-agent column into contiguous
blocks: the agents of locality l are `start[l]:start[l+1]`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tolqyn.space.network import Network


@dataclass
class CountrySpace:
    region_codes: list[str]  # the pack's unit codes (ISO 3166-2); order = region index
    region_names: list[str]
    region_population: np.ndarray  # int64, citizens (not agents)
    region_urban_share: np.ndarray  # float64 in [0, 1]
    region_centroid: np.ndarray  # float64 (n_regions, 2): lat, lon
    ethnic_groups: list[str]
    n_localities: int
    locality_region: np.ndarray  # int16 (n_loc,)
    locality_start: np.ndarray  # int64 (n_loc + 1,)
    locality_urban: np.ndarray  # bool (n_loc,)
    locality_name: list[str]
    locality_population: np.ndarray  # int64 citizens
    region_start: np.ndarray  # int64 (n_regions + 1,)
    network: Network  # CSR, symmetric
    scale: float  # citizens per agent
    agents: dict[str, np.ndarray]  # per-agent columns (see synthesis.AGENT_COLUMNS)
    assumptions: list[dict]  # assumptions used, with their values
    region_ethnic_share: np.ndarray | None = None  # float64 (n_regions, n_groups): target shares
    locality_ethnic_start: np.ndarray | None = None  # int64 (n_loc * n_groups + 1,): group blocks
    group_kin: np.ndarray | None = None  # bool (n_groups,): group has a kin state (its pack)
    meta: dict = field(default_factory=dict)  # timings, memory, provenance

    @property
    def n_agents(self) -> int:
        return int(self.region_start[-1])

    @property
    def n_regions(self) -> int:
        return len(self.region_codes)

    def region_index(self, code: str) -> int:
        try:
            return self.region_codes.index(code)
        except ValueError:
            raise KeyError(
                f"unknown region {code!r}; known: {', '.join(self.region_codes)}"
            ) from None

    def region_agents(self, r: int) -> slice:
        return slice(int(self.region_start[r]), int(self.region_start[r + 1]))

    def locality_agents(self, l: int) -> slice:
        return slice(int(self.locality_start[l]), int(self.locality_start[l + 1]))

    def locality_sizes(self) -> np.ndarray:
        """Agents per locality."""
        return np.diff(self.locality_start)

    def region_sizes(self) -> np.ndarray:
        """Agents per region."""
        return np.diff(self.region_start)

    def nbytes(self) -> dict[str, int]:
        """Memory held by the space: agent columns, network, locality tables."""
        cols = sum(a.nbytes for a in self.agents.values())
        loc = (
            self.locality_region.nbytes
            + self.locality_start.nbytes
            + self.locality_urban.nbytes
            + self.locality_population.nbytes
        )
        return {
            "agents": cols,
            "network": self.network.nbytes,
            "localities": loc,
            "total": cols + self.network.nbytes + loc,
        }
