"""The domain error: raised by domain functions, carrying a message a person can read."""


class DomainError(Exception):
    """A rule said no. `message` is user-facing (already translatable); `field` names the form field at fault."""

    status = 422
    # Most refusals leave nothing behind. A few must keep what they recorded (a failed try counts).
    keep_changes = False

    def __init__(self, message, field: str | None = None, also: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        # Other fields at fault at the same time ({field: message}), so a form shows them all at once.
        self.also = also or {}

    @classmethod
    def of_fields(cls, problems: dict):
        """One refusal for several fields at fault ({field: message}), the first standing for all."""
        (field, message), *others = problems.items()
        return cls(message, field=field, also=dict(others))

    def by_field(self) -> dict:
        """{field: message} for every field at fault (None: the form as a whole)."""
        return {self.field: self.message, **self.also}
