"""Secret tokens kept only as a digest (family invitations and feeds, calendar feeds, API tokens):
a high-entropy token needs no salt or slow hash, and a lookup by digest is an index probe."""

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
