"""Settings for `crm-mining cube`: the OLAP cube gold.crm_cube for BI tools."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CubeSettings:
    # The latest N month-end snapshots of gold.customer_features in the cube; 0 = every snapshot.
    months: int = field(default=0, metadata={"min": 0})
