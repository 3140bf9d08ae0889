"""One reporter module per result type: each renders that result in every format it offers."""
