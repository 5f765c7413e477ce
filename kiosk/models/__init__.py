"""Typed models, one module per area."""

from .people import Keeper, Team, Volunteer, volunteer_team
from .station import Station

__all__ = ["Keeper", "Station", "Team", "Volunteer", "volunteer_team"]
