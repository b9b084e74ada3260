# The event log's tables live beside its code (coordination/events/), which must stay
# a leaf; importing them here registers them with the app.
from coordination.events.models import EventRecord, Stream

__all__ = ["EventRecord", "Stream"]
