"""One reporter module per result type: each declares a `Reporter` over the formats it offers."""
