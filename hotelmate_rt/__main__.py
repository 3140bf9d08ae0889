"""Allow `python -m hotelmate_rt`."""

from hotelmate_rt.cli.app import main

main()
