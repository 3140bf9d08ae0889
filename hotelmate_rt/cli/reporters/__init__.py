"""One reporter per result type: each module declares the formats its result is written in.

`scan` (text, json, sarif, junit, github), `lint` (contract lint), `contract` (contract show),
`infer` (contract infer), `probe` (the listen/record stream), `check` (a judged recording),
`emit`, `replay`; `doctor` and `triage` belong to the on-call commands. See
`hotelmate_rt.cli.output`.
"""
