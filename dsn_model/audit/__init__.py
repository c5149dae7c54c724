"""Audits of routers: collision curves against closed forms, load balance, Switch losses.

* :mod:`.statistics` -- the measurements and their calibrated bands;
* :mod:`.report` -- ``dsn audit``: build a router, measure it, write a figure and a summary.
"""

from .report import AUDIT_ROUTERS, audit_router, build_audited
from .statistics import CollisionCurve, collision_curve, load_balance

__all__ = [
    "AUDIT_ROUTERS",
    "CollisionCurve",
    "audit_router",
    "build_audited",
    "collision_curve",
    "load_balance",
]
