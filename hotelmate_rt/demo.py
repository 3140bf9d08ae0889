"""`make demo` / `python -m hotelmate_rt.demo`: the scripted HotelMate scene (see cli/demo.py)."""

import sys

from hotelmate_rt.cli.demo import main

if __name__ == "__main__":
    sys.exit(main())
