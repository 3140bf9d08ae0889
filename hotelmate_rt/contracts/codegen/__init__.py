"""Code generated from the contract: the frontend's typed pusher-js module, the contract hash."""

from .identity import contract_hash
from .typescript import Module, typescript_modules

__all__ = ["Module", "contract_hash", "typescript_modules"]
