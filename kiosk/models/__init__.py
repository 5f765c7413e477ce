"""Typed models, one module per area."""

from .people import Keeper, Team, Volunteer, volunteer_team
from .service import METHODS, AuditEvent, ServiceSession
from .station import Station

__all__ = ["METHODS", "AuditEvent", "Keeper", "ServiceSession", "Station", "Team", "Volunteer", "volunteer_team"]
