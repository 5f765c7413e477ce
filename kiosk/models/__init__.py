"""Typed models, one module per area."""

from .people import Keeper, Team, Volunteer, volunteer_team
from .service import METHODS, AuditEvent, ServiceSession
from .station import Station
from .walkin import STANDARD_SERVICES, SignInAttempt, WalkInService, WalkInVisit

__all__ = [
    "METHODS",
    "STANDARD_SERVICES",
    "AuditEvent",
    "Keeper",
    "ServiceSession",
    "SignInAttempt",
    "Station",
    "Team",
    "Volunteer",
    "WalkInService",
    "WalkInVisit",
    "volunteer_team",
]
