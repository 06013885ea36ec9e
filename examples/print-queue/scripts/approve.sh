#!/bin/sh
# The approve button: see lib/printqueue.py.
exec python3 "$(dirname "$0")/lib/printqueue.py" approve
