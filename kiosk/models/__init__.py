"""Typed models, one module per area."""

from .people import Keeper, Team, Volunteer, volunteer_team
from .service import METHODS, AuditEvent, ServiceSession
from .station import Station
from .suggestion import (
    OPEN_STATUSES,
    STANDARD_SUGGESTION_CATEGORIES,
    SUGGESTION_STATUSES,
    Suggestion,
    SuggestionCategory,
    SuggestionEvent,
)
from .swap import CONDITIONS, REMOVAL_REASONS, STANDARD_CATEGORIES, SwapCategory, SwapEvent, SwapItem
from .walkin import STANDARD_SERVICES, SignInAttempt, WalkInService, WalkInVisit

__all__ = [
    "OPEN_STATUSES",
    "STANDARD_SUGGESTION_CATEGORIES",
    "SUGGESTION_STATUSES",
    "Suggestion",
    "SuggestionCategory",
    "SuggestionEvent",
    "CONDITIONS",
    "REMOVAL_REASONS",
    "STANDARD_CATEGORIES",
    "SwapCategory",
    "SwapEvent",
    "SwapItem",
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
