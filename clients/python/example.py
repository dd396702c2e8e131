#!/usr/bin/env python3
"""Runs friendgate_client.example from the source tree (see its docstring);
an installed package has it as `python3 -m friendgate_client.example`."""

import sys

from friendgate_client.example import main

if __name__ == "__main__":
    sys.exit(main())
