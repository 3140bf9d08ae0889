"""Privacy without a contract entry: personal or secret data sent where the public can read it.

Every backend payload sent on a public channel (no `private-`/`presence-` prefix: anyone with the
app key can read it) is checked by field name, whether or not its event is in the contract,
against the contract's `sensitive_fields` plus a built-in vocabulary of personal and secret data.
Field names are split into words (`guestEmail`, `guest_email`, `guest.email` -> guest, email).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from hotelmate_rt.contracts import ChannelKind, Contract, resolve_event

from .match import name_kind
from .model import Site, SiteKind
from .symbols import Hole, Sym, Value, display, literal

# One word alone says personal or secret data.
_WORDS = frozenset({
    "email", "emails", "mail", "phone", "phones", "telephone", "tel", "mobile", "msisdn",
    "whatsapp", "surname", "firstname", "lastname", "fullname", "forename", "username",
    "password", "passwd", "secret", "token", "pin", "passport", "ssn", "iban", "dob",
    "birthday", "birthdate", "nationality", "notes", "note", "remarks", "last4", "cvc", "cvv",
    "apikey", "otp"})
# Word pairs (`first name`, `id number`, `payment reference`...).
_PAIRS = frozenset({
    ("first", "name"), ("last", "name"), ("full", "name"), ("given", "name"),
    ("family", "name"), ("middle", "name"), ("maiden", "name"), ("display", "name"),
    ("user", "name"), ("id", "number"), ("national", "id"), ("document", "number"),
    ("card", "number"), ("tax", "id"), ("pin", "code"), ("door", "code"), ("access", "code"),
    ("registration", "code"), ("reg", "code"), ("checkin", "code"), ("verification", "code"),
    ("security", "code"), ("payment", "reference"), ("payment", "ref"), ("payment", "intent"),
    ("transaction", "reference"), ("transaction", "ref"), ("card", "last4"),
    ("birth", "date"), ("home", "address"), ("street", "address"), ("billing", "address"),
    ("postal", "address"), ("ip", "address"), ("special", "requests"), ("api", "key"),
    ("session", "key"), ("private", "key"), ("licence", "plate"), ("license", "plate")})
# `<someone> name` is a person's name.
_PEOPLE = frozenset({
    "guest", "staff", "user", "customer", "sender", "recipient", "author", "reviewer", "contact",
    "employee", "member", "person", "owner", "holder", "cardholder", "traveller", "traveler",
    "visitor", "attendant", "waiter", "manager", "booker", "caller", "patient", "client",
    "housekeeper", "receptionist", "concierge", "porter", "driver", "cleaner", "technician",
    "chef", "tenant", "resident", "occupant", "passenger", "payer", "requester",
    "reporter", "assignee", "creator", "agent", "courier", "worker", "colleague", "therapist",
    "supervisor", "buyer", "seller", "partner", "spouse", "parent", "guardian", "doctor",
    "nurse", "instructor"})
# A word that makes the field describe the data rather than carry it (`email_verified`).
_NOT_DATA = frozenset({"is", "has", "count", "verified", "enabled", "required", "type", "status",
                       "sent", "length", "changed", "updated", "valid", "expired", "expires",
                       "at", "format", "template", "label", "mode", "policy"})
# The last word of an interpolated value that names an identifier, never a channel prefix.
_IDENTIFIERS = frozenset({"slug", "id", "pk", "uuid", "number", "num", "no"})
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*")


def words(name: str) -> list[str]:
    """Split a field name into lower-case words (`guestEmail` -> guest, email; `last4` kept)."""
    return [w.lower() for w in _WORD.findall(name)]


def is_personal(name: str, extra: Iterable[str] = ()) -> bool:
    """Tell whether a field name says personal or secret data (vocabulary plus `extra` names)."""
    if name in extra:
        return True
    split = words(name)
    if not split or _NOT_DATA.intersection(split):
        return False
    if "_".join(split) in extra or _WORDS.intersection(split):
        return True
    for first, second in itertools.pairwise(split):
        if (first, second) in _PAIRS or (second == "name" and first in _PEOPLE):
            return True
    return False


def _public(sym: Sym) -> bool:
    """Tell whether a scanned channel is public: by its prefix, or because it starts with an
    identifier value (`{hotel.slug}-housekeeping`, `{staff.id}.inbox`) that holds no prefix."""
    kind = name_kind(sym)
    if kind is not None:
        return kind is ChannelKind.PUBLIC
    head = sym[0] if sym else None
    return isinstance(head, Hole) and len(sym) > 1 and \
        bool(_IDENTIFIERS.intersection(words(head.text)[-1:]))


def public_channels(site: Site, contract: Contract) -> list[str]:
    """Name the channels of a backend send that anyone can read (by prefix, or per contract)."""
    if site.kind in (SiteKind.TRIGGER, SiteKind.TRIGGER_BATCH):
        return [display(v.sym) for v in site.channels if _public(v.sym)]
    if site.kind is SiteKind.EMIT:
        out: list[str] = []
        for value in site.events:
            event = resolve_event(contract, literal(value.sym) or "").event
            for cid in event.channels if event is not None else ():
                channel = contract.channels.get(cid)
                if channel is not None and channel.public_readable:
                    out.append(channel.template.text)
        return out
    return []


def exposed_fields(site: Site, contract: Contract) -> list[str]:
    """Return the payload field paths of a send that carry personal data, minus those the
    contract's own `payload-sensitive-public` check already reports for a known event."""
    if site.payload is None:
        return []
    extra = frozenset(contract.sensitive_fields)
    covered: set[str] = set()
    for value in site.events:
        event = resolve_event(contract, literal(value.sym) or "").event
        if event is not None:
            covered.update(contract.sensitive_for(event))
    return [f.path for f in site.payload.fields
            if f.name not in covered and is_personal(f.name, extra)]


def privacy_findings(sites: Iterable[Site], contract: Contract) -> \
        Iterable[tuple[Site, Value | None, list[str], list[str]]]:
    """Yield (site, first event, public channels, fields) for each send that leaks."""
    for site in sites:
        if site.kind not in (SiteKind.TRIGGER, SiteKind.TRIGGER_BATCH, SiteKind.EMIT):
            continue
        channels = public_channels(site, contract)
        if not channels:
            continue
        fields = exposed_fields(site, contract)
        if fields:
            yield site, (site.events[0] if site.events else None), sorted(set(channels)), fields
