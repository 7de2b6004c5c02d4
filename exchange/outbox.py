"""Writing to the outbox, in the approval's own transaction (R-11.1): the signed version and its packet commit together
or not at all, so no approved version is lost on the way to the national database."""

import uuid

from django.db import transaction
from django.utils import timezone

from .models import Packet


def enqueue(signatures) -> list[Packet]:
    """One packet per signed version; the sender is woken once the transaction commits."""
    now = timezone.now()
    made = Packet.objects.bulk_create([
        Packet(person_id=signature.version.person_id, version_id=signature.version_id, number=signature.version.number,
               unit_id=signature.version.unit_id, key=uuid.uuid4().hex, payload_hash=signature.payload_hash, next_attempt_at=now)
        for signature in signatures])
    if made:
        from .tasks import wake_sender

        transaction.on_commit(wake_sender)
    return made
